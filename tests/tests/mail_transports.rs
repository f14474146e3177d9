//! The real mail transports: a paid purchase's messages sent through SMTP to a real SMTP
//! server (aiosmtpd, from PyPI) and through Amazon SES's API (moto), then read back as a mail
//! system received them: headers, the text and HTML parts, the invoice PDF.

use std::sync::Arc;
use std::time::Duration;

use enrolshop_tests::Stack;
use mailparse::{MailHeaderMap, ParsedMail};
use shop_core::adapters::mail::ses::SesMailer;
use shop_core::adapters::mail::smtp::SmtpMailer;
use shop_core::app::mail::postman::{MailSite, Postman};
use shop_core::ports::Mailer;

/// A postman over the stack's store that sends through `mailer`.
fn postman(stack: &Stack, mailer: Arc<dyn Mailer>, from: &str) -> Postman {
    Postman {
        bills: shop_core::app::bills::Bills {
            store: stack.store.clone(),
            clock: stack.clock.clone(),
            queue: stack.jobs.clone(),
        },
        mailer,
        site: MailSite {
            from: from.into(),
            pages_url: stack.base.clone(),
            bill_path: "/bill".into(),
            moodle_url: Some(stack.moodle_url.clone()),
            api_url: stack.base.clone(),
        },
    }
}

/// An aiosmtpd server writing what it receives to a maildir; killed on drop.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn smtp_server() -> SmtpServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir.path().join("box"))
        .spawn()
        .expect("aiosmtpd runs (python3 -m pip install aiosmtpd)");
    let server = SmtpServer {
        child,
        port,
        maildir,
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("aiosmtpd did not start on {port}");
}

/// Every message of a maildir, raw.
fn received(maildir: &std::path::Path) -> Vec<Vec<u8>> {
    let new = maildir.join("box/new");
    let mut all: Vec<_> = std::fs::read_dir(new)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    all.sort();
    all
}

/// The parts of a message with this content type.
fn parts<'a>(mail: &'a ParsedMail<'a>, mime: &str) -> Vec<&'a ParsedMail<'a>> {
    let mut found = Vec::new();
    if mail.ctype.mimetype == mime {
        found.push(mail);
    }
    for sub in &mail.subparts {
        found.extend(parts(sub, mime));
    }
    found
}

/// What a mail system relies on in each message of a paid purchase.
fn check_purchase_messages(raw: &[Vec<u8>], from: &str) {
    let mut subjects = Vec::new();
    let mut pdfs = 0;
    for bytes in raw {
        let mail = mailparse::parse_mail(bytes).unwrap();
        let h = &mail.headers;
        assert_eq!(h.get_first_value("From").as_deref(), Some(from));
        assert!(
            h.get_first_value("Message-ID")
                .is_some_and(|m| m.starts_with('<') && m.ends_with('>'))
        );
        assert!(h.get_first_value("Date").is_some());
        assert_eq!(
            h.get_first_value("Reply-To").as_deref(),
            Some("sales@demo-academy.example")
        );
        assert!(
            h.get_first_value("List-Unsubscribe").is_none(),
            "not for order messages"
        );
        assert_eq!(parts(&mail, "text/plain").len(), 1);
        assert_eq!(parts(&mail, "text/html").len(), 1);
        for pdf in parts(&mail, "application/pdf") {
            let body = pdf.get_body_raw().unwrap();
            lopdf::Document::load_mem(&body).expect("the attached invoice is a valid PDF");
            pdfs += 1;
        }
        subjects.push(h.get_first_value("Subject").unwrap());
    }
    subjects.sort();
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    assert!(subjects[0].starts_with("New order "), "{subjects:?}");
    assert!(
        subjects[1].starts_with("Payment received: invoice "),
        "{subjects:?}"
    );
    assert!(subjects[2].starts_with("Your order "), "{subjects:?}");
    assert_eq!(pdfs, 1, "the invoice goes with the payment message");
}

#[tokio::test]
async fn a_purchase_is_told_through_a_real_smtp_server() {
    let server = smtp_server().await;
    let stack = Stack::start_embedded().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    stack.place_and_pay(&cart).await;
    let smtp = SmtpMailer::from_url(&format!("smtp://127.0.0.1:{}", server.port)).unwrap();
    let sent = postman(&stack, Arc::new(smtp), "shop@enrolshop.test")
        .send_due()
        .await
        .unwrap();
    assert_eq!(sent, 3);
    check_purchase_messages(&received(server.maildir.path()), "shop@enrolshop.test");
}

/// A server that refuses the recipient (5xx): the message is given up on at once, listed for
/// operators with its address, written on the bill's trace, and never retried.
#[tokio::test]
async fn a_refused_address_is_given_up_on_not_retried() {
    let stack = Stack::start_embedded().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    let (bill, _) = stack.place_and_pay(&cart).await;
    let refusing = Arc::new(Refusing);
    let postman = postman(&stack, refusing, "shop@enrolshop.test");
    assert_eq!(postman.send_due().await.unwrap(), 0);
    let shop = "demo".parse().unwrap();
    let failed = shop_core::app::mail::failed_messages(stack.store.as_ref(), &shop)
        .await
        .unwrap();
    assert_eq!(failed.len(), 3);
    assert!(
        failed
            .iter()
            .all(|l| l.attempts == 1 && l.refused && l.error.is_some())
    );
    stack.clock.advance(chrono::Duration::days(2));
    assert_eq!(postman.send_due().await.unwrap(), 0, "never retried");
    let listed = stack
        .admin(
            reqwest::Method::GET,
            "/admin/shops/demo/messages/failed",
            None,
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let messages = listed.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "the operators see them");
    assert!(
        messages.iter().all(|m| m["error"] == "550 no such user"
            && m["attempts"] == 1
            && m["refused"] == true)
    );
    let addressed: Vec<&str> = messages.iter().map(|m| m["to"].as_str().unwrap()).collect();
    assert!(addressed.contains(&"ada@example.org"), "{addressed:?}");
    assert!(
        addressed.contains(&"sales@demo-academy.example"),
        "{addressed:?}"
    );
    let trace = stack
        .admin(reqwest::Method::GET, &format!("/admin/bills/{bill}"), None)
        .await;
    let notes: Vec<&str> = trace.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["reason"].as_str())
        .filter(|r| r.contains("not delivered"))
        .collect();
    assert_eq!(
        notes.len(),
        3,
        "one note per message given up on: {notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("ada@example.org") && n.contains("550 no such user")),
        "{notes:?}"
    );
    let ada = trace.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["cause"]["to"] == "ada@example.org")
        .expect("the note's cause, for the pages to say it in their language");
    assert_eq!(ada["cause"]["code"], "message_not_delivered", "{ada}");
    assert_eq!(ada["cause"]["error"], "550 no such user", "{ada}");
    assert!(ada["cause"]["message"].is_string(), "{ada}");
    assert!(
        !listed.body.to_string().contains("token"),
        "no capability in the list"
    );
}

/// A message refused for a mistyped address is sent again by an operator to the corrected one:
/// it goes once, its link opens the bill, the trace says who sent it again and where, and it
/// leaves the list. What cannot go again is refused and changes nothing.
#[tokio::test]
async fn an_operator_sends_a_refused_message_again_to_a_corrected_address() {
    use reqwest::Method;
    use serde_json::json;
    let stack = Stack::start_embedded().await;
    let (bill, _) = stack
        .place_and_pay(&stack.ready_cart("EXCEL-ESS", 1).await)
        .await;
    let refusing = postman(&stack, Arc::new(Refusing), "shop@enrolshop.test");
    assert_eq!(refusing.send_due().await.unwrap(), 0);
    let again = |message: &str, body: Option<serde_json::Value>| {
        let path = format!("/admin/bills/{bill}/messages/{message}/send-again");
        let stack = &stack;
        async move { stack.admin(Method::POST, &path, body).await }
    };
    let placed = format!("{bill}-0-order_placed");

    // Refused, changing nothing: a bad address, an unknown message.
    again(&placed, Some(json!({"to": "ada@"})))
        .await
        .assert_problem(422, "validation_failed");
    again("nope", None).await.assert_problem(404, "not_found");

    let sent_again = again(&placed, Some(json!({"to": "ada.lovelace@example.org"}))).await;
    assert_eq!(sent_again.status, 202, "{}", sent_again.body);
    assert_eq!(sent_again.body["to"], "ada.lovelace@example.org");
    // Twice is refused: it is no longer a message given up on.
    again(&placed, None)
        .await
        .assert_problem(409, "invalid_state");

    assert_eq!(stack.deliver_mail().await, 1, "that one only, once");
    assert_eq!(stack.deliver_mail().await, 0);
    let mail = stack.mail().await;
    let went = mail
        .iter()
        .find(|m| m["to"] == "ada.lovelace@example.org")
        .expect("sent to the corrected address");
    let text = stack.mail_message(went["id"].as_str().unwrap()).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let start = text.find("#token=").expect("a link with its token");
    let token = text[start + 7..].split_whitespace().next().unwrap();
    let opened = stack
        .with_token(Method::GET, &format!("/bills/{bill}"), token, None)
        .await;
    assert_eq!(
        opened.status, 200,
        "its fresh link opens the bill: {}",
        opened.body
    );

    let listed = stack
        .admin(Method::GET, "/admin/shops/demo/messages/failed", None)
        .await;
    let left: Vec<&str> = listed.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(!left.contains(&placed.as_str()), "{left:?}");
    assert_eq!(left.len(), 2, "the two others still listed: {left:?}");
    let trace = stack
        .admin(Method::GET, &format!("/admin/bills/{bill}"), None)
        .await;
    let entry = trace.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["cause"]["code"] == "message_sent_again")
        .expect("the trace says it was sent again");
    assert_eq!(entry["cause"]["to"], "ada.lovelace@example.org", "{entry}");
    assert_eq!(entry["cause"]["message"], "order_placed", "{entry}");
}

/// Each shop's operators see their shop's messages given up on, and only theirs, however many
/// another shop has; one listed before lists were kept per shop (2026-12-07) is still seen.
#[tokio::test]
async fn each_shop_lists_its_own_messages_given_up_on() {
    let stack = Stack::start_embedded().await;
    let mut other = stack
        .admin(reqwest::Method::GET, "/admin/shops/demo", None)
        .await
        .body;
    other["id"] = serde_json::json!("other");
    other["gateways"] = serde_json::json!({});
    other["payment_methods"] = serde_json::json!(["test", "transfer"]);
    for item in other["items"].as_array_mut().unwrap() {
        item["password"] = serde_json::Value::Null; // a marker stands for its own shop's secret
    }
    let imported = stack
        .admin(reqwest::Method::PUT, "/admin/shops/other", Some(other))
        .await;
    assert_eq!(imported.status, 201, "{}", imported.body);
    let (demo_bill, _) = stack
        .place_and_pay(&stack.ready_cart("EXCEL-ESS", 1).await)
        .await;
    let cart = stack.new_cart_in("other").await;
    stack.fill_cart(&cart, "EXCEL-ESS", 1, None, None).await;
    let details = stack
        .put(
            &format!("/carts/{cart}/customer"),
            enrolshop_tests::customer(),
        )
        .await;
    assert_eq!(details.status, 200, "{}", details.body);
    let (other_bill, _) = stack.place_and_pay(&cart).await;
    let postman = postman(&stack, Arc::new(Refusing), "shop@enrolshop.test");
    assert_eq!(postman.send_due().await.unwrap(), 0);

    // One of demo's, as it was listed before: in the list of every shop's.
    let store = stack.store.as_ref();
    let key = shop_core::ports::Key::new(
        format!("MAIL#{demo_bill}"),
        format!("{demo_bill}-0-order_placed"),
    );
    let record = store.get(&key).await.unwrap().expect("the letter");
    let listed = record.item.indexes[&shop_core::ports::Index::Gsi1]
        .sk
        .clone();
    let mut item = record.item.clone();
    item.indexes.insert(
        shop_core::ports::Index::Gsi1,
        shop_core::ports::Key::new("MAILFAILED", listed),
    );
    // Written before a refusal was recorded as one: no `refused`.
    let mut body: serde_json::Value = serde_json::from_str(&item.body).unwrap();
    assert_eq!(body["refused"], true, "{body}");
    body.as_object_mut().unwrap().remove("refused");
    item.body = body.to_string();
    store
        .write(vec![shop_core::ports::Write::Put {
            item,
            when: shop_core::ports::PutIf::Version(record.version),
        }])
        .await
        .unwrap();

    // A thousand of other's, all newer than demo's: they must not crowd demo's out.
    let theirs = store
        .get(&shop_core::ports::Key::new(
            format!("MAIL#{other_bill}"),
            format!("{other_bill}-0-order_placed"),
        ))
        .await
        .unwrap()
        .expect("other's letter");
    let index = theirs.item.indexes[&shop_core::ports::Index::Gsi1].clone();
    for batch in (0..1000).collect::<Vec<u32>>().chunks(50) {
        let copies = batch.iter().map(|i| {
            let mut item = theirs.item.clone();
            item.key.sk = format!("{}-copy{i}", item.key.sk);
            let later = format!("9999-12-31T00:00:00.000000Z#copy{i:04}");
            item.indexes.insert(
                shop_core::ports::Index::Gsi1,
                shop_core::ports::Key::new(index.pk.clone(), later),
            );
            shop_core::ports::Write::Put {
                item,
                when: shop_core::ports::PutIf::Absent,
            }
        });
        store.write(copies.collect()).await.unwrap();
    }

    let bills_of = |shop: &'static str| {
        let stack = &stack;
        async move {
            let r = stack
                .admin(
                    reqwest::Method::GET,
                    &format!("/admin/shops/{shop}/messages/failed"),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let mut bills: Vec<String> = r.body["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["bill"].as_str().unwrap().to_owned())
                .collect();
            bills.dedup();
            bills
        }
    };
    assert_eq!(
        bills_of("demo").await,
        [demo_bill],
        "demo's three, the old one among them"
    );
    assert_eq!(
        bills_of("other").await,
        [other_bill],
        "other's, and none of demo's"
    );
    let demo = shop_core::app::mail::failed_messages(store, &"demo".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(demo.len(), 3, "{demo:?}");
    assert!(
        demo.iter().all(|m| m.refused),
        "refused at the first try, the old one too: {demo:?}"
    );
    assert!(demo.windows(2).all(|w| w[0].at >= w[1].at), "newest first");
}

struct Refusing;

#[async_trait::async_trait]
impl Mailer for Refusing {
    async fn send(&self, _: &shop_core::ports::Mail) -> Result<(), shop_core::ports::MailError> {
        Err(shop_core::ports::MailError {
            permanent: true,
            message: "550 no such user".into(),
        })
    }
}

#[tokio::test]
async fn a_purchase_is_told_through_ses() {
    let config = shop_core::adapters::aws::sdk_config(Some(moto_harness::endpoint()));
    let ses = aws_sdk_sesv2::Client::new(&config);
    let from = enrolshop_tests::ses::verified_sender().await;
    let stack = Stack::start_embedded().await;
    let cart = stack.ready_cart("EXCEL-ESS", 1).await;
    stack.place_and_pay(&cart).await;
    let mailer = SesMailer::new(ses, None);
    let sent = postman(&stack, Arc::new(mailer), &from)
        .send_due()
        .await
        .unwrap();
    assert_eq!(sent, 3);
    let raw = enrolshop_tests::ses::sent_from(&from).await;
    check_purchase_messages(&raw, &from);
}
