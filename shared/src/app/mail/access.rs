//! The messages about reaching what was bought: the delivery, a seat given, an access about
//! to end. Each says where the course is and how to sign in to Moodle.

use super::compose::{Block, Extras, Site, bill_link};
use super::{Letter, MessageKind};
use crate::domain::bill::Bill;

/// The Moodle username, and the page where a password is chosen: the shop cannot know whether
/// the learner has one yet.
fn sign_in(moodle: &str, username: Option<&str>, fr: bool) -> Vec<Block> {
    let mut blocks = Vec::new();
    if let Some(username) = username {
        blocks.push(Block::Para(if fr {
            format!("Votre identifiant : {username}")
        } else {
            format!("Your username: {username}")
        }));
    }
    blocks.push(password_link(moodle, fr));
    blocks
}

pub(super) fn expiry(
    bill: &Bill,
    site: &Site,
    extras: &Extras,
    fr: bool,
    hello: Block,
) -> (String, Vec<Block>) {
    let Some(e) = &extras.expiring else {
        return (String::new(), vec![hello]);
    };
    let date = e.ends.format(if fr { "%d/%m/%Y" } else { "%Y-%m-%d" });
    let item = &e.item;
    let mut blocks = vec![
        hello,
        Block::Para(if fr {
            format!("Votre accès à « {item} » prend fin le {date}.")
        } else {
            format!("Your access to \"{item}\" ends on {date}.")
        }),
    ];
    blocks.extend(extend_link(bill, site, extras, fr));
    let subject = if fr {
        format!("Votre accès à « {item} » prend fin le {date}")
    } else {
        format!("Your access to \"{item}\" ends on {date}")
    };
    (subject, blocks)
}

/// What a seat's messages say about it.
pub(super) struct SeatFacts {
    pub course: String,
    pub dates: String,
    pub buyer: String,
    pub holder: String,
    pub holder_email: String,
    pub username: String,
    /// The Moodle site and the course's page there, when the shop knows its Moodle.
    pub moodle: Option<(String, String)>,
}

pub(super) fn seat_facts(letter: &Letter, bill: &Bill, site: &Site, fr: bool) -> Option<SeatFacts> {
    let note = letter.seat.as_ref()?;
    let format = if fr { "%d/%m/%Y" } else { "%Y-%m-%d" };
    let start = note.start.format(format).to_string();
    let dates = match (note.end, fr) {
        (Some(end), false) => format!("from {start} to {}", end.format(format)),
        (Some(end), true) => format!("du {start} au {}", end.format(format)),
        (None, false) => format!("from {start}"),
        (None, true) => format!("à partir du {start}"),
    };
    let moodle = site.moodle_url.as_deref().map(|m| {
        let m = m.trim_end_matches('/');
        (
            m.to_owned(),
            crate::app::products::course_url(m, note.course_id),
        )
    });
    Some(SeatFacts {
        course: bill
            .lines
            .get(note.line)
            .map_or_else(String::new, |l| l.name.clone()),
        dates,
        buyer: format!("{} {}", bill.customer.firstname, bill.customer.lastname),
        holder: note.holder_name.clone(),
        holder_email: note.holder_email.clone(),
        username: note.username.clone(),
        moodle,
    })
}

/// The link to the page where a Moodle password is chosen.
pub(super) fn password_link(moodle: &str, fr: bool) -> Block {
    Block::Link {
        label: (if fr {
            "Pas encore de mot de passe, ou oublié ? Choisissez-le ici"
        } else {
            "No password yet, or forgotten? Choose one here"
        })
        .to_owned(),
        url: crate::app::products::password_url(moodle),
    }
}

pub(super) fn seat(letter: &Letter, bill: &Bill, site: &Site, fr: bool) -> (String, Vec<Block>) {
    let Some(f) = seat_facts(letter, bill, site, fr) else {
        return (String::new(), Vec::new());
    };
    let SeatFacts {
        course,
        dates,
        buyer,
        holder,
        ..
    } = &f;
    let mut blocks = Vec::new();
    let subject;
    if letter.kind == MessageKind::SeatAssigned {
        subject = if fr {
            format!("Votre place : {course}")
        } else {
            format!("Your seat: {course}")
        };
        blocks.push(Block::Para(if fr {
            format!(
                "Bonjour {holder}, {buyer} vous a attribué une place pour « {course} », {dates}."
            )
        } else {
            format!("Hello {holder}, {buyer} gave you a seat in \"{course}\", {dates}.")
        }));
        if let Some((moodle, url)) = &f.moodle {
            blocks.push(Block::Link {
                label: course.clone(),
                url: url.clone(),
            });
            blocks.extend(sign_in(moodle, Some(&f.username), fr));
        }
    } else {
        subject = if fr {
            format!("Place attribuée à {holder} : {course}")
        } else {
            format!("Seat given to {holder}: {course}")
        };
        blocks.push(Block::Para(if fr {
            format!("Vous avez attribué une place pour « {course} » à {holder} ({}), {dates}. Nous lui avons écrit comment y accéder.", f.holder_email)
        } else {
            format!("You gave a seat in \"{course}\" to {holder} ({}), {dates}. We told them how to reach it.", f.holder_email)
        }));
    }
    (subject, blocks)
}

/// Each line delivered, linked to its course when it is one.
pub(super) fn courses(extras: &Extras, moodle: &str) -> Vec<Block> {
    extras
        .reached
        .iter()
        .map(|r| match r.course_id {
            Some(id) => Block::Link {
                label: r.name.clone(),
                url: crate::app::products::course_url(moodle, id),
            },
            None => Block::Para(r.name.clone()),
        })
        .collect()
}

/// The link to the item that extends an access, when the shop sells one: a pre-filled cart, or
/// the item's page (`/?shop=&item=`: its password, or "sign in" first for a customers' item).
pub(super) fn extend_link(bill: &Bill, site: &Site, extras: &Extras, fr: bool) -> Option<Block> {
    let extension = extras.expiring.as_ref()?.extension.as_ref()?;
    let (code, name) = (&extension.code, &extension.name);
    let url = if extension.by_cart_link {
        format!(
            "{}/shops/{}/cart-import?{code}=1",
            site.api_url.trim_end_matches('/'),
            bill.shop
        )
    } else {
        format!(
            "{}/?shop={}&item={code}",
            site.pages_url.trim_end_matches('/'),
            bill.shop
        )
    };
    Some(Block::Link {
        label: if fr {
            format!("Prolonger avec « {name} »")
        } else {
            format!("Extend it with \"{name}\"")
        },
        url,
    })
}

pub(super) fn delivered(
    letter: &Letter,
    bill: &Bill,
    site: &Site,
    extras: &Extras,
    fr: bool,
    hello: Block,
) -> (String, Vec<Block>) {
    let t = |en: &str, fr_text: &str| (if fr { fr_text } else { en }).to_owned();
    let mut blocks = vec![hello];
    let moodle = site.moodle_url.as_deref().map(|m| m.trim_end_matches('/'));
    if let Some(moodle) = moodle {
        blocks.push(Block::Para(t(
            "Your training is ready on our learning site:",
            "Votre formation est prête sur notre plateforme de formation :",
        )));
        blocks.extend(courses(extras, moodle));
        blocks.extend(sign_in(moodle, extras.username.as_deref(), fr));
        blocks.push(Block::Link {
            label: t("The learning site", "La plateforme de formation"),
            url: moodle.to_owned(),
        });
    } else {
        blocks.push(Block::Para(t(
            "Everything you ordered has been delivered.",
            "Tout ce que vous avez commandé a été livré.",
        )));
    }
    blocks.push(Block::Link {
        label: t("Your order", "Votre commande"),
        url: bill_link(letter, bill, site),
    });
    let subject = if fr {
        format!("Votre formation est prête (commande {})", bill.id)
    } else {
        format!("Your training is ready (order {})", bill.id)
    };
    (subject, blocks)
}
