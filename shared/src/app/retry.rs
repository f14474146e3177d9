//! The one policy for conditional writes that lose a race: read again, apply the change to
//! what is now stored, write on the new version, with a short random pause between attempts.
//! Every use case that changes a record on the version it read goes through [`until_written`].

use std::time::Duration;

use super::AppError;
use crate::ports::StoreError;

/// Attempts before a contended change gives up (with 409): enough for a hundred buyers
/// taking the last seats of one item at once.
pub const ATTEMPTS: usize = 200;

/// Why one attempt did not finish.
#[derive(Debug)]
pub enum Attempt {
    /// Another writer changed a record since it was read: read again and retry.
    Raced,
    /// Anything else: the use case fails with it.
    Failed(AppError),
}

impl From<AppError> for Attempt {
    fn from(e: AppError) -> Self {
        Attempt::Failed(e)
    }
}

impl From<StoreError> for Attempt {
    /// A failed condition is a lost race; every other store error fails the attempt.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed => Attempt::Raced,
            other => Attempt::Failed(other.into()),
        }
    }
}

/// Runs `attempt` (given its number, from 0) until it finishes, pausing after each lost race;
/// after [`ATTEMPTS`] races the answer is a conflict saying `busy` ("the bill is too busy; retry").
///
/// (A closure returning a future rather than an async closure: the handlers' futures must be
/// `Send`, which async closures cannot yet promise for every lifetime.)
pub async fn until_written<T, Fut>(
    busy: &str,
    mut attempt: impl FnMut(usize) -> Fut,
) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, Attempt>>,
{
    for n in 0..ATTEMPTS {
        match attempt(n).await {
            Ok(done) => return Ok(done),
            Err(Attempt::Raced) => backoff(n).await,
            Err(Attempt::Failed(e)) => return Err(e),
        }
    }
    Err(AppError::Conflict(busy.to_owned()))
}

/// A short random pause that grows with the attempts, so that contending writers spread out.
async fn backoff(attempt: usize) {
    let mut r = [0u8; 1];
    getrandom::fill(&mut r).expect("random source");
    let cap = 2 + attempt.min(20) as u64;
    tokio::time::sleep(Duration::from_millis(u64::from(r[0]) % cap)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lost_race_is_retried_on_fresh_reads_until_written() {
        let mut reads = 0;
        let written = until_written("busy", |_| {
            reads += 1;
            let read = reads;
            async move {
                if read < 3 {
                    Err(Attempt::from(StoreError::ConditionFailed))
                } else {
                    Ok(read)
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(written, 3);
    }

    #[tokio::test]
    async fn any_other_failure_stops_at_once() {
        let mut tries = 0;
        let answer: Result<(), _> = until_written("busy", |_| {
            tries += 1;
            async { Err(Attempt::from(StoreError::Backend("down".into()))) }
        })
        .await;
        assert!(matches!(answer, Err(AppError::Store(_))));
        assert_eq!(tries, 1);
    }

    #[tokio::test]
    async fn endless_races_end_in_a_conflict_that_says_what_is_busy() {
        let answer: Result<(), _> = until_written("the bill is too busy; retry", |_| async {
            Err(Attempt::Raced)
        })
        .await;
        match answer {
            Err(AppError::Conflict(text)) => assert_eq!(text, "the bill is too busy; retry"),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
}
