//! The client as the use cases' `Lms` port: Moodle's errors become the port's, retryable or not.

use super::*;

impl From<MoodleError> for crate::ports::LmsError {
    fn from(e: MoodleError) -> Self {
        let retryable = e.is_retryable();
        match e {
            MoodleError::Ws { errorcode, message } => Self {
                retryable,
                code: Some(errorcode),
                message,
            },
            other => Self {
                retryable,
                code: None,
                message: other.to_string(),
            },
        }
    }
}

#[async_trait::async_trait]
impl crate::ports::Lms for MoodleClient {
    async fn find_or_create_user(
        &self,
        email: &str,
        firstname: &str,
        lastname: &str,
    ) -> Result<crate::ports::LmsUser, crate::ports::LmsError> {
        let username = username_for(email);
        let email = email.trim().to_lowercase();
        let user = NewUser {
            username: &username,
            email: &email,
            firstname,
            lastname,
        };
        Ok(MoodleClient::find_or_create_user(self, &user).await?)
    }

    async fn find_courses(
        &self,
        q: &str,
        limit: usize,
    ) -> Result<Vec<crate::ports::LmsCourse>, crate::ports::LmsError> {
        Ok(MoodleClient::find_courses(self, q, limit).await?)
    }

    async fn categories(&self) -> Result<Vec<crate::ports::LmsCategory>, crate::ports::LmsError> {
        Ok(MoodleClient::categories(self).await?)
    }

    async fn course_id(
        &self,
        field: &str,
        value: &str,
    ) -> Result<Option<u64>, crate::ports::LmsError> {
        Ok(MoodleClient::course_id(self, field, value).await?)
    }

    async fn enrol(&self, intent: &EnrolIntent) -> Result<(), crate::ports::LmsError> {
        Ok(MoodleClient::enrol(self, intent).await?)
    }

    async fn assign_role(
        &self,
        roleid: u64,
        userid: u64,
        contextlevel: &str,
        instanceid: u64,
    ) -> Result<(), crate::ports::LmsError> {
        Ok(MoodleClient::assign_role(self, roleid, userid, contextlevel, instanceid).await?)
    }

    async fn ensure_course(&self, course: &CourseSpec) -> Result<u64, crate::ports::LmsError> {
        Ok(MoodleClient::ensure_course(self, course).await?)
    }

    async fn ensure_category(
        &self,
        category: &CategorySpec,
    ) -> Result<u64, crate::ports::LmsError> {
        Ok(MoodleClient::ensure_category(self, category).await?)
    }

    async fn join_group(
        &self,
        courseid: u64,
        group: &str,
        userid: u64,
    ) -> Result<(), crate::ports::LmsError> {
        Ok(MoodleClient::join_group(self, courseid, group, userid).await?)
    }

    async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<crate::ports::LmsUser>, crate::ports::LmsError> {
        match MoodleClient::login(self, username, password, LOGIN_SERVICE).await {
            Ok(_) => {}
            Err(MoodleError::Ws { errorcode, .. }) if errorcode == "invalidlogin" => {
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
        let found = self
            .call(
                "core_user_get_users_by_field",
                json!({"field": "username", "values": [username.to_lowercase()]}),
            )
            .await?;
        let user = Self::parse::<Vec<MoodleUser>>(found)?.into_iter().next();
        Ok(user.map(crate::ports::LmsUser::from))
    }

    async fn has_started(
        &self,
        userid: u64,
        courseid: u64,
    ) -> Result<bool, crate::ports::LmsError> {
        // Two fields of each participant, not Moodle's whole record of each (their courses,
        // groups, roles, preferences): a course of thousands answers in time.
        let fields = json!([{"name": "userfields", "value": "id,lastcourseaccess"}]);
        let users = self
            .call(
                "core_enrol_get_enrolled_users",
                json!({"courseid": courseid, "options": fields}),
            )
            .await?;
        Ok(users.as_array().is_some_and(|users| {
            users.iter().any(|u| {
                u["id"].as_u64() == Some(userid) && u["lastcourseaccess"].as_i64().unwrap_or(0) > 0
            })
        }))
    }
}
