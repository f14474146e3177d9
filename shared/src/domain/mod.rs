//! The domain: plain Rust, no I/O. Types here cannot hold a bad value; anything coming from
//! outside is parsed into them once, at the boundary.

/// Declares a closed set of names, parsed from and shown as snake_case strings.
macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "`{s}` is not one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

pub(crate) use names;

pub mod bill;
pub mod cart;
pub mod catalog;
pub mod document;
pub mod handler;
pub mod ids;
pub mod message;
pub mod money;

names! {
    /// The buyer's language: of the pages, the messages and the documents. A cart starts in
    /// English; the pages set it from the page's language.
    Language { En = "en", Fr = "fr" }
}

#[allow(clippy::derivable_impls)] // `names!` cannot mark a variant `#[default]`
impl Default for Language {
    fn default() -> Self {
        Language::En
    }
}
pub mod order;
pub mod pricing;
pub mod problem;
pub mod product;

use serde::Serialize;

/// Why a value was refused: a stable machine `code` the pages translate, its parameters
/// (`{"code": "too_long", "max": 100}`), and the English sentence for API users and logs.
/// A bare `String` becomes the generic code `invalid`: give a code wherever a buyer may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub code: &'static str,
    pub params: serde_json::Map<String, serde_json::Value>,
    pub text: String,
}

impl Reason {
    pub fn new(code: &'static str, text: impl Into<String>) -> Self {
        Self {
            code,
            params: serde_json::Map::new(),
            text: text.into(),
        }
    }

    /// A function giving `code` to an English sentence: for `map_err` on a parser's `String`.
    pub fn coded(code: &'static str) -> impl Fn(String) -> Self {
        move |text| Self::new(code, text)
    }

    /// A text over `max` characters (`too_long` with `max`, which the pages say).
    pub fn too_long(max: usize) -> Self {
        Self::new("too_long", format!("at most {max} characters")).with("max", max)
    }

    /// Adds a parameter the pages put in their sentence (`max`, `left`, ...).
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Self {
        Reason::new("invalid", text)
    }
}

impl From<&str> for Reason {
    fn from(text: &str) -> Self {
        Reason::new("invalid", text)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// One problem with an input, located by a path into the input (`items[2].prices[0].unit_price`).
/// Validation collects all of them so that a user fixes everything in one go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Serialized as `field`, the name the pages place errors by.
    #[serde(rename = "field")]
    pub path: String,
    pub code: &'static str,
    #[serde(flatten)]
    pub params: serde_json::Map<String, serde_json::Value>,
    pub reason: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, reason: impl Into<Reason>) -> Self {
        let Reason { code, params, text } = reason.into();
        Self {
            path: path.into(),
            code,
            params,
            reason: text,
        }
    }
}

/// Collects field errors while a value is parsed piece by piece.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, path: impl Into<String>, reason: impl Into<Reason>) {
        self.0.push(FieldError::new(path, reason));
    }

    /// Records an error found elsewhere as it is, code and parameters included.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Parses with `parse`, recording the error under `path`; `None` when it failed.
    pub fn check<T, R: Into<Reason>>(
        &mut self,
        path: impl Into<String>,
        parsed: Result<T, R>,
    ) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(reason) => {
                self.add(path, reason);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded, all the errors otherwise.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

/// A name or text that may become a Moodle name (a person's, a course's, a category's): no `<`
/// or `>`, since Moodle refuses with `invalidparameter` what its tag stripping would change
/// (`Ada <3`), and that would only show after payment, at delivery.
pub fn no_markup(value: &str) -> Result<(), Reason> {
    if value.contains(['<', '>']) {
        Err(Reason::new("angle_bracket", "must not contain < or >"))
    } else {
        Ok(())
    }
}

/// A calendar day as the API writes it, `YYYY-MM-DD`; the reason names the expected form.
pub fn parse_day(value: &str) -> Result<chrono::NaiveDate, Reason> {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        Reason::new(
            "invalid_date",
            format!("`{value}` is not a date such as 2026-11-30"),
        )
    })
}
