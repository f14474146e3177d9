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
    blocks.push(Block::Link {
        label: (if fr {
            "Pas encore de mot de passe, ou oublié ? Choisissez-le ici"
        } else {
            "No password yet, or forgotten? Choose one here"
        })
        .to_owned(),
        url: format!("{moodle}/login/forgot_password.php"),
    });
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
    if let Some((code, name)) = &e.extension {
        let url = format!(
            "{}/shops/{}/cart-import?{code}=1",
            site.api_url.trim_end_matches('/'),
            bill.shop
        );
        blocks.push(Block::Link {
            label: if fr {
                format!("Prolonger avec « {name} »")
            } else {
                format!("Extend it with \"{name}\"")
            },
            url,
        });
    }
    let subject = if fr {
        format!("Votre accès à « {item} » prend fin le {date}")
    } else {
        format!("Your access to \"{item}\" ends on {date}")
    };
    (subject, blocks)
}

pub(super) fn seat(letter: &Letter, bill: &Bill, site: &Site, fr: bool) -> (String, Vec<Block>) {
    let Some(note) = &letter.seat else {
        return (String::new(), Vec::new());
    };
    let course = bill
        .lines
        .get(note.line)
        .map_or_else(String::new, |l| l.name.clone());
    let format = if fr { "%d/%m/%Y" } else { "%Y-%m-%d" };
    let start = note.start.format(format).to_string();
    let dates = match (note.end, fr) {
        (Some(end), false) => format!("from {start} to {}", end.format(format)),
        (Some(end), true) => format!("du {start} au {}", end.format(format)),
        (None, false) => format!("from {start}"),
        (None, true) => format!("à partir du {start}"),
    };
    let buyer = format!("{} {}", bill.customer.firstname, bill.customer.lastname);
    let holder = &note.holder_name;
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
        if let Some(moodle) = site.moodle_url.as_deref().map(|m| m.trim_end_matches('/')) {
            blocks.push(Block::Link {
                label: course.clone(),
                url: format!("{moodle}/course/view.php?id={}", note.course_id),
            });
            blocks.extend(sign_in(moodle, Some(&note.username), fr));
        }
    } else {
        subject = if fr {
            format!("Place attribuée à {holder} : {course}")
        } else {
            format!("Seat given to {holder}: {course}")
        };
        blocks.push(Block::Para(if fr {
            format!("Vous avez attribué une place pour « {course} » à {holder} ({}), {dates}. Nous lui avons écrit comment y accéder.", note.holder_email)
        } else {
            format!("You gave a seat in \"{course}\" to {holder} ({}), {dates}. We told them how to reach it.", note.holder_email)
        }));
    }
    (subject, blocks)
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
        for r in &extras.reached {
            blocks.push(match r.course_id {
                Some(id) => Block::Link {
                    label: r.name.clone(),
                    url: format!("{moodle}/course/view.php?id={id}"),
                },
                None => Block::Para(r.name.clone()),
            });
        }
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
