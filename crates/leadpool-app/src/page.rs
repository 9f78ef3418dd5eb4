//! Page sizes: every list that pages takes its size from [`page_limit`], so a size out of
//! range is refused in the same words everywhere instead of quietly capped by some lists.

use crate::AppError;

/// The page size asked for, or `default`; refused naming `limit` unless it is 1 to `max`.
pub fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, AppError> {
    let limit = limit.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(AppError::invalid("limit", format!("must be 1 to {max}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_outside_one_to_the_maximum_is_refused_and_none_is_the_default() {
        assert_eq!(page_limit(None, 50, 200).ok(), Some(50));
        assert_eq!(page_limit(Some(200), 50, 200).ok(), Some(200));
        assert!(page_limit(Some(0), 50, 200).is_err());
        assert!(page_limit(Some(201), 50, 200).is_err());
    }
}
