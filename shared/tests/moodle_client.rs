//! The Moodle REST client against the Moodle simulator, over HTTP.

use std::time::Duration;

use moodle_sim::{Fault, STUDENT, Simulator};
use shop_core::adapters::moodle::{
    EnrolIntent, MoodleClient, MoodleError, NewUser, REQUIRED_FUNCTIONS,
};

const TOKEN: &str = "test-token";

async fn site() -> (Simulator, MoodleClient) {
    let sim = Simulator::new(TOKEN);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.clone().serve(listener));
    (
        sim,
        MoodleClient::new(&url, TOKEN, Duration::from_millis(500)),
    )
}

fn ada() -> NewUser<'static> {
    NewUser {
        username: "ada",
        email: "ada@example.org",
        firstname: "Ada",
        lastname: "Lovelace",
    }
}

fn code(e: &MoodleError) -> &str {
    e.code().unwrap_or("(none)")
}

#[tokio::test]
async fn the_health_check_names_missing_functions() {
    let (_, client) = site().await;
    assert!(
        client
            .missing_functions(&REQUIRED_FUNCTIONS)
            .await
            .unwrap()
            .is_empty()
    );
    let missing = client
        .missing_functions(&["core_user_create_users", "local_shop_magic"])
        .await
        .unwrap();
    assert_eq!(missing, ["local_shop_magic"]);
    let down = MoodleClient::new("http://127.0.0.1:9", TOKEN, Duration::from_millis(300))
        .missing_functions(&REQUIRED_FUNCTIONS)
        .await;
    assert!(down.unwrap_err().is_retryable());
}

#[tokio::test]
async fn users_are_found_by_email_and_created_once() {
    let (sim, client) = site().await;
    assert_eq!(client.user_by_email("ada@example.org").await.unwrap(), None);
    let id = client.create_user(&ada()).await.unwrap();
    let found = client
        .user_by_email("ADA@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found.firstname.as_str()), (id, "Ada"));
    let again = client.create_user(&ada()).await.unwrap_err();
    assert_eq!(code(&again), "invalidparameter");
    assert!(
        !again.is_retryable(),
        "a duplicate user is a permanent error"
    );
    assert_eq!(client.find_or_create_user(&ada()).await.unwrap().id, id);
    assert_eq!(
        sim.users()
            .iter()
            .filter(|u| u.email == "ada@example.org")
            .count(),
        1
    );
}

#[tokio::test]
async fn enrolment_overwrites_dates_and_refuses_what_moodle_refuses() {
    let (sim, client) = site().await;
    let course = sim.add_course("EXCEL", "Excel essentials");
    let user = client.create_user(&ada()).await.unwrap();
    let intent = EnrolIntent {
        roleid: STUDENT,
        userid: user,
        courseid: course,
        timestart: 1_700_000_000,
        timeend: 1_831_536_000,
        suspend: false,
    };
    client.enrol(&intent).await.unwrap();
    assert_eq!(sim.enrolment(user, course).unwrap().timeend, 1_831_536_000);
    client.enrol(&intent).await.unwrap();
    assert_eq!(
        sim.enrolment(user, course).unwrap().timeend,
        1_831_536_000,
        "the same call is a no-op"
    );
    assert_eq!(client.user_courses(user).await.unwrap(), [course]);
    // As Moodle: an enrolment is listed once its start is before "now" rounded down to 100 s.
    let now = chrono::Utc::now().timestamp();
    let other = sim.add_course("LEAD", "Leading teams");
    for (courseid, timestart) in [(other, now), (course, now - 200)] {
        client
            .enrol(&EnrolIntent {
                courseid,
                timestart,
                ..intent
            })
            .await
            .unwrap();
    }
    assert_eq!(
        client.user_courses(user).await.unwrap(),
        [course],
        "not listed in the second it starts"
    );
    // Without timeend Moodle overwrites the end to 0 (unlimited): never extends.
    client
        .enrol(&EnrolIntent {
            timeend: 0,
            ..intent
        })
        .await
        .unwrap();
    assert_eq!(sim.enrolment(user, course).unwrap().timeend, 0);
    client
        .enrol(&EnrolIntent {
            suspend: true,
            ..intent
        })
        .await
        .unwrap();
    assert!(sim.enrolment(user, course).unwrap().suspended);
    assert!(
        client.user_courses(user).await.unwrap().is_empty(),
        "suspended enrolments are not active"
    );

    let unknown_course = client
        .enrol(&EnrolIntent {
            courseid: 999,
            ..intent
        })
        .await
        .unwrap_err();
    assert_eq!(code(&unknown_course), "invalidparameter");
    let site_course = client
        .enrol(&EnrolIntent {
            courseid: 1,
            ..intent
        })
        .await
        .unwrap_err();
    assert_eq!(code(&site_course), "wsnoinstance");
    let guest = client
        .enrol(&EnrolIntent {
            roleid: 6,
            ..intent
        })
        .await
        .unwrap_err();
    assert_eq!(code(&guest), "wsusercannotassign");
    assert!(!guest.is_retryable());
    assert_eq!(
        client.course_id("shortname", "EXCEL").await.unwrap(),
        Some(course)
    );
    assert_eq!(client.course_id("shortname", "NOPE").await.unwrap(), None);
}

#[tokio::test]
async fn outages_and_bad_tokens_are_told_apart() {
    let (sim, client) = site().await;
    sim.fail_next(1, Fault::Down);
    let down = client.user_by_email("x@example.org").await.unwrap_err();
    assert!(
        matches!(down, MoodleError::Http(503)) && down.is_retryable(),
        "{down}"
    );
    sim.fail_next(1, Fault::ServerError);
    assert!(
        client
            .user_by_email("x@example.org")
            .await
            .unwrap_err()
            .is_retryable()
    );
    sim.fail_next(1, Fault::Slow(2_000));
    let slow = client.user_by_email("x@example.org").await.unwrap_err();
    assert!(
        matches!(slow, MoodleError::Transport(_)) && slow.is_retryable(),
        "{slow}"
    );
    assert_eq!(
        client.user_by_email("x@example.org").await.unwrap(),
        None,
        "recovered"
    );

    let url = client_url(&sim).await;
    let wrong = MoodleClient::new(&url, "stolen", Duration::from_millis(500))
        .user_by_email("x@example.org")
        .await
        .unwrap_err();
    assert_eq!(code(&wrong), "invalidtoken");
    assert!(!wrong.is_retryable());
}

async fn client_url(sim: &Simulator) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(sim.clone().serve(listener));
    url
}

#[tokio::test]
async fn buyers_log_in_with_their_moodle_credentials() {
    let (sim, client) = site().await;
    sim.add_user("grace", "grace@example.org", "s3cret!");
    let token = client
        .login("grace", "s3cret!", "moodle_mobile_app")
        .await
        .unwrap();
    assert!(!token.is_empty());
    let wrong = client
        .login("grace", "guess", "moodle_mobile_app")
        .await
        .unwrap_err();
    assert_eq!(code(&wrong), "invalidlogin");
}

#[tokio::test]
async fn roles_on_categories_and_courses_follow_moodle() {
    let (sim, client) = site().await;
    let user = client.create_user(&ada()).await.unwrap();
    client
        .assign_role(moodle_sim::MANAGER, user, "coursecat", 1)
        .await
        .unwrap();
    assert!(sim.has_role(moodle_sim::MANAGER, user, "coursecat", 1));
    let refused = client
        .assign_role(STUDENT, user, "coursecat", 1)
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "wsusercannotassign");
    assert_eq!(
        sim.calls()
            .iter()
            .filter(|c| *c == "core_role_assign_roles")
            .count(),
        2
    );
}

/// Without the capabilities to see users, Moodle hides their fields and finds nobody by a
/// field it hides: the start-up check names what is missing (probing Moodle's guest user, as
/// a user always sees itself), and with `moodle/site:viewuseridentity` alone a returning
/// buyer is still found by email although Moodle hides her username.
#[tokio::test]
async fn missing_user_capabilities_are_named_and_returning_buyers_still_found() {
    use shop_core::ports::Lms;
    let (sim, client) = site().await;
    assert!(client.missing_capabilities().await.unwrap().is_empty());
    let first = Lms::find_or_create_user(&client, "Ada@Example.org", "Ada", "Lovelace")
        .await
        .unwrap();
    sim.set_capabilities(&["moodle/user:create", "moodle/user:viewdetails"]);
    assert_eq!(
        client.missing_capabilities().await.unwrap(),
        ["moodle/user:viewalldetails", "moodle/site:viewuseridentity"]
    );
    assert!(
        client
            .user_by_username("ada@example.org")
            .await
            .unwrap()
            .is_none()
    );
    sim.set_capabilities(&[
        "moodle/user:create",
        "moodle/user:viewdetails",
        "moodle/site:viewuseridentity",
    ]);
    assert_eq!(
        client.missing_capabilities().await.unwrap(),
        ["moodle/user:viewalldetails"]
    );
    let again = Lms::find_or_create_user(&client, "ada@example.org", "Ada", "Lovelace")
        .await
        .unwrap();
    assert_eq!(
        again.id, first.id,
        "the same account, found without its username"
    );
    sim.set_capabilities(&[
        "moodle/user:create",
        "moodle/user:viewdetails",
        "moodle/user:viewalldetails",
        "moodle/site:viewuseridentity",
    ]);
    assert!(client.missing_capabilities().await.unwrap().is_empty());
    let duplicate = client
        .call(
            "core_course_duplicate_course",
            serde_json::json!({"courseid": 1, "fullname": "x", "shortname": "x", "categoryid": 1}),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&duplicate), "nopermissions", "{duplicate}");
}

/// The course picker's search: every word in any order and case, the course whose id is
/// typed first, at most `limit`; the same on a site whose service lacks Moodle's search (set
/// up before the shop used it), which the start-up check names meanwhile.
#[tokio::test]
async fn courses_are_found_by_their_words_with_or_without_moodles_search() {
    let (sim, client) = site().await;
    let excel = sim.add_course("EXCEL", "Excel essentials");
    let safety = sim.add_course("SAFETY", "Workplace safety & first aid");
    for n in 0..30 {
        sim.add_course(&format!("BULK{n}"), &format!("Bulk course {n}"));
    }
    let shortnames = |found: Vec<shop_core::ports::LmsCourse>| {
        found.into_iter().map(|c| c.shortname).collect::<Vec<_>>()
    };
    for withdrawn in [false, true] {
        if withdrawn {
            sim.withdraw_function("core_course_search_courses");
            let missing = client.missing_functions(&REQUIRED_FUNCTIONS).await;
            assert_eq!(missing.unwrap(), ["core_course_search_courses"]);
        }
        let found = client.find_courses("essentials EXCEL", 20).await.unwrap();
        assert_eq!(shortnames(found), ["EXCEL"], "withdrawn: {withdrawn}");
        let found = client.find_courses("safety & first", 20).await.unwrap();
        assert_eq!(
            found[0].fullname, "Workplace safety & first aid",
            "as typed"
        );
        let found = client.find_courses(&safety.to_string(), 20).await.unwrap();
        assert_eq!(found[0].id, safety, "the id first");
        let found = client.find_courses("", 20).await.unwrap();
        assert_eq!(found.len(), 20, "at most the limit");
        assert!(found.iter().all(|c| c.id > 1), "never the front page");
        assert!(
            client
                .find_courses("nothing like it", 20)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            shortnames(client.find_courses(&excel.to_string(), 1).await.unwrap()),
            ["EXCEL"]
        );
    }
}
