use super::*;
use proptest::prelude::*;

fn valid_username(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 100
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.@".contains(c))
}

#[test]
fn plain_emails_are_their_own_usernames() {
    assert_eq!(username_for(" Ada@Example.org "), "ada@example.org");
    let plus = username_for("ada+shop@example.org");
    assert!(plus.starts_with("ada_shop@example.org-"), "{plus}");
    assert_ne!(plus, username_for("ada_shop@example.org"));
    assert_eq!(
        plus,
        username_for("ADA+shop@example.org"),
        "stable, case-blind"
    );
    assert!(valid_username(&username_for("o'brien@example.org")));
}

proptest! {
    /// Every email gives a username Moodle accepts, always the same one, and two emails
    /// that differ (other than by case) never share one.
    #[test]
    fn every_email_gives_a_valid_unique_stable_username(
        a in "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9-]{1,20}\\.[a-z]{2,6}",
        b in "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9-]{1,20}\\.[a-z]{2,6}",
    ) {
        let ua = username_for(&a);
        prop_assert!(valid_username(&ua), "{} -> {}", a, ua);
        prop_assert_eq!(&ua, &username_for(&a));
        if a.to_lowercase() != b.to_lowercase() {
            prop_assert_ne!(ua, username_for(&b));
        }
    }
}

#[test]
fn parameters_are_bracket_encoded() {
    let mut out = Vec::new();
    encode(
        "",
        &json!({"enrolments": [{"roleid": 5, "userid": 7}], "values": ["a@b.c"], "field": "email"}),
        &mut out,
    );
    let text: Vec<String> = out.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert!(
        text.contains(&"enrolments[0][roleid]=5".to_owned()),
        "{text:?}"
    );
    assert!(text.contains(&"enrolments[0][userid]=7".to_owned()));
    assert!(text.contains(&"values[0]=a@b.c".to_owned()));
    assert!(text.contains(&"field=email".to_owned()));
}

#[test]
fn retryable_failures_are_told_apart() {
    assert!(MoodleError::Transport("refused".into()).is_retryable());
    assert!(MoodleError::Http(503).is_retryable());
    assert!(MoodleError::NotJson.is_retryable());
    assert!(!MoodleError::Http(404).is_retryable());
    let ws = |c: &str| MoodleError::Ws {
        errorcode: c.into(),
        message: String::new(),
    };
    assert!(!ws("invalidparameter").is_retryable());
    assert!(!ws("wsusercannotassign").is_retryable());
    assert!(ws("servicenotavailable").is_retryable());
}
