//! `/dev/mail`: the local stack's mail catcher, for seeing what the shop sent. A page listing
//! the messages and a page per message (text, the HTML part, attachments); with `Accept:
//! application/json`, the same as JSON. Never mounted with `--production`.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use shop_core::adapters::mail::catcher::{Caught, MailCatcher, Summary};
use shop_core::app::AppError;

pub fn router(catcher: MailCatcher) -> Router {
    Router::new()
        .route("/dev/mail", get(list))
        .route("/dev/mail/{id}", get(message))
        .route("/dev/mail/{id}/html", get(html_part))
        .route("/dev/mail/{id}/raw", get(raw))
        .route("/dev/mail/{id}/attachments/{n}", get(attachment))
        .with_state(Arc::new(catcher))
}

type Catcher = State<Arc<MailCatcher>>;

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

#[derive(Template)]
#[template(path = "dev_mail_list.html")]
struct ListPage {
    messages: Vec<Summary>,
}

#[derive(Template)]
#[template(path = "dev_mail_message.html")]
struct MessagePage {
    m: Caught,
}

async fn list(State(catcher): Catcher, headers: HeaderMap) -> Response {
    let messages = catcher.list();
    if wants_json(&headers) {
        return Json(serde_json::json!({ "messages": messages })).into_response();
    }
    Html(ListPage { messages }.render().expect("renders")).into_response()
}

fn found(catcher: &MailCatcher, id: &str) -> Result<Caught, AppError> {
    catcher
        .get(id)
        .ok_or_else(|| AppError::not_found("message", id))
}

async fn message(
    State(catcher): Catcher,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let m = found(&catcher, &id)?;
    if wants_json(&headers) {
        return Ok(Json(m).into_response());
    }
    Ok(Html(MessagePage { m }.render().expect("renders")).into_response())
}

async fn html_part(State(catcher): Catcher, Path(id): Path<String>) -> Result<Response, AppError> {
    Ok(Html(found(&catcher, &id)?.html).into_response())
}

async fn raw(State(catcher): Catcher, Path(id): Path<String>) -> Result<Response, AppError> {
    let raw = catcher
        .raw(&id)
        .ok_or_else(|| AppError::not_found("message", &id))?;
    Ok(([(header::CONTENT_TYPE, "message/rfc822")], raw).into_response())
}

async fn attachment(
    State(catcher): Catcher,
    Path((id, n)): Path<(String, usize)>,
) -> Result<Response, AppError> {
    let m = found(&catcher, &id)?;
    let Some(a) = m.attachments.into_iter().nth(n) else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let disposition = format!("inline; filename=\"{}\"", a.filename.replace('"', ""));
    Ok((
        [
            (header::CONTENT_TYPE, a.content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        a.content,
    )
        .into_response())
}
