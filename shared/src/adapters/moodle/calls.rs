//! The web-service calls the shop makes, one method each: users, enrolments and roles,
//! courses and categories found or created, groups.

use super::*;

impl MoodleClient {
    pub async fn user_by_email(&self, email: &str) -> Result<Option<MoodleUser>, MoodleError> {
        let lower = email.trim().to_lowercase();
        let mut values = vec![lower.clone()];
        if email.trim() != lower {
            values.push(email.trim().to_owned());
        }
        let found = self
            .call(
                "core_user_get_users_by_field",
                json!({"field": "email", "values": values}),
            )
            .await?;
        let mut users = Self::parse::<Vec<MoodleUser>>(found)?;
        users.sort_by_key(|u| u.email != lower);
        Ok(users.into_iter().next())
    }

    /// The first user whose email is this one in any letter case: `core_user_get_users`
    /// compares with SQL `LIKE`, case-insensitively (`_` and `%` escaped, then compared here
    /// exactly). An account a Moodle admin made as `Ada.Lovelace@Example.org` is the buyer
    /// typing `ada.lovelace@example.org`: Moodle refuses a second account for that address,
    /// and `core_user_get_users_by_field` matches the case exactly.
    pub async fn user_by_email_any_case(
        &self,
        email: &str,
    ) -> Result<Option<MoodleUser>, MoodleError> {
        let email = email.trim();
        let pattern = email
            .replace('\\', "\\\\")
            .replace('_', "\\_")
            .replace('%', "\\%");
        let found = self
            .call(
                "core_user_get_users",
                json!({"criteria": [{"key": "email", "value": pattern}]}),
            )
            .await?;
        let users = Self::parse::<Vec<MoodleUser>>(found["users"].clone())?;
        Ok(users
            .into_iter()
            .filter(|u| u.email.eq_ignore_ascii_case(email))
            .min_by_key(|u| u.id))
    }

    /// The user with this username (Moodle usernames are lower case).
    pub async fn user_by_username(
        &self,
        username: &str,
    ) -> Result<Option<MoodleUser>, MoodleError> {
        let found = self
            .call(
                "core_user_get_users_by_field",
                json!({"field": "username", "values": [username.to_lowercase()]}),
            )
            .await?;
        Ok(Self::parse::<Vec<MoodleUser>>(found)?.into_iter().next())
    }

    /// Creates a user (not idempotent: look up by email first, and again after an error).
    pub async fn create_user(&self, user: &NewUser<'_>) -> Result<u64, MoodleError> {
        let users = json!({"users": [{"username": user.username, "email": user.email, "firstname": user.firstname,
            "lastname": user.lastname, "auth": "manual", "createpassword": 1}]});
        let created = self.call("core_user_create_users", users).await?;
        created[0]["id"]
            .as_u64()
            .ok_or_else(|| MoodleError::Unexpected(created.to_string()))
    }

    /// Finds the user by email, or creates it; after a creation error, looks again (another
    /// delivery may have created it meanwhile) before failing.
    pub async fn find_or_create_user(
        &self,
        user: &NewUser<'_>,
    ) -> Result<crate::ports::LmsUser, MoodleError> {
        let account = crate::ports::LmsUser::from;
        if let Some(found) = self.user_by_email(user.email).await? {
            return Ok(account(found));
        }
        match self.create_user(user).await {
            Ok(id) => Ok(crate::ports::LmsUser {
                id,
                username: user.username.to_owned(),
                email: user.email.to_owned(),
                firstname: user.firstname.to_owned(),
                lastname: user.lastname.to_owned(),
            }),
            Err(e) => {
                // Made meanwhile by another delivery; or there under the address in other
                // letters; or the username the shop derives from this email is taken (by the
                // account the shop made for it earlier, its email since changed in Moodle).
                if let Some(found) = self.user_by_email(user.email).await? {
                    return Ok(account(found));
                }
                // Not fatal: a site set up before the shop called it may not offer it yet.
                if let Ok(Some(found)) = self.user_by_email_any_case(user.email).await {
                    return Ok(account(found));
                }
                match self.user_by_username(user.username).await? {
                    Some(found) => Ok(account(found)),
                    None => Err(e),
                }
            }
        }
    }

    pub async fn enrol(&self, e: &EnrolIntent) -> Result<(), MoodleError> {
        let mut enrolment = json!({"roleid": e.roleid, "userid": e.userid, "courseid": e.courseid});
        if e.timestart > 0 {
            enrolment["timestart"] = json!(e.timestart);
        }
        if e.timeend > 0 {
            enrolment["timeend"] = json!(e.timeend);
        }
        if e.suspend {
            enrolment["suspend"] = json!(1);
        }
        self.call(
            "enrol_manual_enrol_users",
            json!({"enrolments": [enrolment]}),
        )
        .await
        .map(|_| ())
    }

    /// Course ids whose active enrolments the user has.
    pub async fn user_courses(&self, userid: u64) -> Result<Vec<u64>, MoodleError> {
        let courses = self
            .call("core_enrol_get_users_courses", json!({"userid": userid}))
            .await?;
        Ok(courses
            .as_array()
            .map(|c| c.iter().filter_map(|c| c["id"].as_u64()).collect())
            .unwrap_or_default())
    }

    /// A course id by `id`, `shortname` or `idnumber`.
    pub async fn course_id(&self, field: &str, value: &str) -> Result<Option<u64>, MoodleError> {
        let found = self
            .call(
                "core_course_get_courses_by_field",
                json!({"field": field, "value": value}),
            )
            .await?;
        Ok(found["courses"]
            .as_array()
            .and_then(|c| c.first())
            .and_then(|c| c["id"].as_u64()))
    }

    pub async fn assign_role(
        &self,
        roleid: u64,
        userid: u64,
        contextlevel: &str,
        instanceid: u64,
    ) -> Result<(), MoodleError> {
        let a = json!({"assignments": [{"roleid": roleid, "userid": userid, "contextlevel": contextlevel, "instanceid": instanceid}]});
        self.call("core_role_assign_roles", a).await.map(|_| ())
    }

    /// The course with `spec`'s short name, made if absent; after a creation error, looked up
    /// again (a previous delivery may have made it) before failing.
    pub async fn ensure_course(&self, spec: &CourseSpec) -> Result<u64, MoodleError> {
        if let Some(id) = self.course_id("shortname", &spec.shortname).await? {
            return Ok(id);
        }
        let made = match spec.template {
            Some(template) => self
                .call(
                    "core_course_duplicate_course",
                    json!({"courseid": template, "fullname": spec.fullname, "shortname": spec.shortname,
                        "categoryid": spec.categoryid, "visible": 1}),
                )
                .await
                .map(|v| v["id"].as_u64()),
            None => self
                .call(
                    "core_course_create_courses",
                    json!({"courses": [{"fullname": spec.fullname, "shortname": spec.shortname,
                        "categoryid": spec.categoryid}]}),
                )
                .await
                .map(|v| v[0]["id"].as_u64()),
        };
        match made {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(MoodleError::Unexpected("no course id".into())),
            Err(e) => match self.course_id("shortname", &spec.shortname).await? {
                Some(id) => Ok(id),
                None => Err(e),
            },
        }
    }

    /// At most `limit` courses holding every word of `q` in their names, idnumber or summary
    /// (Moodle's own course search, any case), the course whose id `q` is first: the search
    /// reads only what matches, where listing every course takes Moodle seconds on a large
    /// site (10 s for 2,000 courses here). Their idnumbers, which the search does not give,
    /// come from one read of those courses by id.
    pub async fn find_courses(
        &self,
        q: &str,
        limit: usize,
    ) -> Result<Vec<crate::ports::LmsCourse>, MoodleError> {
        let search =
            json!({"criterianame": "search", "criteriavalue": q, "page": 0, "perpage": limit});
        let found = match self.call("core_course_search_courses", search).await {
            Ok(found) => found,
            // A site set up before the shop searched (its service lacks the function, which
            // running the setup script again adds): every course, filtered here, as before.
            Err(e) if e.code() == Some("accessexception") => {
                return self.find_in_every_course(q, limit).await;
            }
            Err(e) => return Err(e),
        };
        let by_id = q.trim().parse::<u64>().ok();
        let mut ids: Vec<u64> = by_id.into_iter().collect();
        for id in
            (found["courses"].as_array().into_iter().flatten()).filter_map(|c| c["id"].as_u64())
        {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids.retain(|id| *id > 1); // the front page is no course to sell
        ids.truncate(limit);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let read = self
            .call(
                "core_course_get_courses_by_field",
                json!({"field": "ids", "value": list}),
            )
            .await?;
        let mut courses: Vec<_> = (read["courses"].as_array().into_iter().flatten())
            .filter_map(lms_course)
            .collect();
        courses.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
        Ok(courses)
    }

    /// [`Self::find_courses`] without Moodle's search: every course read, and those holding
    /// every word of `q` in their names or idnumber kept, the one whose id `q` is first.
    async fn find_in_every_course(
        &self,
        q: &str,
        limit: usize,
    ) -> Result<Vec<crate::ports::LmsCourse>, MoodleError> {
        let every = self
            .call(
                "core_course_get_courses_by_field",
                json!({"field": "", "value": ""}),
            )
            .await?;
        let words = q.to_lowercase();
        let by_id = q.trim().parse::<u64>().ok();
        let holds = |c: &crate::ports::LmsCourse| {
            let text = [&c.fullname, &c.shortname, &c.idnumber]
                .map(|t| t.as_str())
                .join(" ");
            let text = text.to_lowercase();
            Some(c.id) == by_id || words.split_whitespace().all(|w| text.contains(w))
        };
        let mut courses: Vec<_> = (every["courses"].as_array().into_iter().flatten())
            .filter_map(lms_course)
            .filter(|c| c.id > 1 && holds(c))
            .collect();
        courses.sort_by_key(|c| Some(c.id) != by_id);
        courses.truncate(limit);
        Ok(courses)
    }

    /// Every course category the web-service user can see.
    pub async fn categories(&self) -> Result<Vec<crate::ports::LmsCategory>, MoodleError> {
        let found = self
            .call("core_course_get_categories", json!({"criteria": []}))
            .await?;
        Ok(found
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| {
                Some(crate::ports::LmsCategory {
                    id: c["id"].as_u64()?,
                    name: as_typed(&c["name"]),
                    parent: c["parent"].as_u64().unwrap_or(0),
                })
            })
            .collect())
    }

    async fn category_by_idnumber(&self, idnumber: &str) -> Result<Option<u64>, MoodleError> {
        let found = self
            .call(
                "core_course_get_categories",
                json!({"criteria": [{"key": "idnumber", "value": idnumber}]}),
            )
            .await?;
        Ok(found
            .as_array()
            .and_then(|c| c.first())
            .and_then(|c| c["id"].as_u64()))
    }

    /// The category with `spec`'s idnumber, made if absent (looked up again after an error).
    pub async fn ensure_category(&self, spec: &CategorySpec) -> Result<u64, MoodleError> {
        if let Some(id) = self.category_by_idnumber(&spec.idnumber).await? {
            return Ok(id);
        }
        let made = self
            .call(
                "core_course_create_categories",
                json!({"categories": [{"name": spec.name, "parent": spec.parent, "idnumber": spec.idnumber}]}),
            )
            .await;
        match made.map(|v| v[0]["id"].as_u64()) {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(MoodleError::Unexpected("no category id".into())),
            Err(e) => match self.category_by_idnumber(&spec.idnumber).await? {
                Some(id) => Ok(id),
                None => Err(e),
            },
        }
    }

    async fn group_id(&self, courseid: u64, name: &str) -> Result<Option<u64>, MoodleError> {
        let groups = self
            .call(
                "core_group_get_course_groups",
                json!({"courseid": courseid}),
            )
            .await?;
        Ok(groups.as_array().and_then(|g| {
            g.iter()
                .find(|g| as_typed(&g["name"]) == name)
                .and_then(|g| g["id"].as_u64())
        }))
    }

    /// Adds an enrolled user to the course group `name`, made if absent.
    pub async fn join_group(
        &self,
        courseid: u64,
        name: &str,
        userid: u64,
    ) -> Result<(), MoodleError> {
        let groupid = match self.group_id(courseid, name).await? {
            Some(id) => id,
            None => {
                let made = self
                    .call(
                        "core_group_create_groups",
                        json!({"groups": [{"courseid": courseid, "name": name, "description": ""}]}),
                    )
                    .await;
                match made.map(|v| v[0]["id"].as_u64()) {
                    Ok(Some(id)) => id,
                    Ok(None) => return Err(MoodleError::Unexpected("no group id".into())),
                    Err(e) => self.group_id(courseid, name).await?.ok_or(e)?,
                }
            }
        };
        self.call(
            "core_group_add_group_members",
            json!({"members": [{"groupid": groupid, "userid": userid}]}),
        )
        .await
        .map(|_| ())
    }
}

/// A name as it was typed, from a listing where Moodle gives it formatted for HTML
/// (`format_string`: `&` as `&amp;`, `<` as `&lt;`): the course and category pickers show
/// "Santé & sécurité", and a group is found again by the name it was made with (a buyer's
/// address with `&` made a second group of the same name, which Moodle refused).
/// A course of Moodle's listing as the catalogue editor shows it.
fn lms_course(c: &Value) -> Option<crate::ports::LmsCourse> {
    Some(crate::ports::LmsCourse {
        id: c["id"].as_u64()?,
        shortname: as_typed(&c["shortname"]),
        fullname: as_typed(&c["fullname"]),
        idnumber: c["idnumber"].as_str().unwrap_or_default().to_owned(),
    })
}

fn as_typed(name: &Value) -> String {
    html_escape::decode_html_entities(name.as_str().unwrap_or_default()).into_owned()
}
