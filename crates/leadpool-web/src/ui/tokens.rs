//! API tokens in the browser: on My account a person's own, on Settings → People those of
//! everyone the admin manages. Each is listed by name and date (the secret is never kept), a
//! new one is shown once, and any can be revoked. Who may manage whose tokens is the app's.

use leadpool_app::models::{ApiToken, User};
use leadpool_app::{AppError, Member};
use leadpool_domain::UserId;
use serde::Deserialize;

use super::error::UiError;
use super::flash::Said;
use super::view::{Choice, Zone};
use crate::AppState;

/// One token as its row shows it.
#[derive(Debug)]
pub struct TokenRow {
    /// Its id.
    pub id: i64,
    /// Its holder's id.
    pub user_id: i64,
    /// Its holder's name.
    pub holder: String,
    /// What it is for.
    pub name: String,
    /// When it was made, in the viewer's zone.
    pub made: String,
}

/// A token made just now, shown this once.
#[derive(Debug)]
pub struct NewToken {
    /// Its holder's name.
    pub holder: String,
    /// What it is for.
    pub name: String,
    /// The secret.
    pub secret: String,
}

/// The tokens section of a page.
#[derive(Debug)]
pub struct Tokens {
    /// The tokens, oldest first.
    pub rows: Vec<TokenRow>,
    /// Whose token a new one may be (empty: only the viewer's own).
    pub holders: Vec<Choice>,
    /// A token made just now.
    pub fresh: Option<NewToken>,
    /// Where the forms post (`/account/tokens` or `/settings/tokens`).
    pub post: &'static str,
    /// The element the answer replaces.
    pub target: &'static str,
}

impl Tokens {
    /// The viewer's own tokens, for My account.
    pub async fn own(s: &AppState, m: &Member) -> Result<Self, AppError> {
        let tokens = s.app.list_tokens(m, m.user.id).await?;
        let mut page = Self::of(m, tokens, std::slice::from_ref(&m.user));
        page.holders.clear();
        Ok(page)
    }

    /// The tokens of everyone the admin manages, for Settings → People.
    pub async fn managed(s: &AppState, m: &Member) -> Result<Self, AppError> {
        let (tokens, mut holders) = s.app.managed_tokens(m).await?;
        holders.sort_by_key(|u| u.name.to_lowercase());
        let mut page = Self::of(m, tokens, &holders);
        page.post = "/settings/tokens";
        page.target = "#settings";
        Ok(page)
    }

    /// `tokens` held by `holders`, as `m` reads them; new ones for any active holder.
    fn of(m: &Member, tokens: Vec<ApiToken>, holders: &[User]) -> Self {
        let zone = Zone::of(m);
        let name_of = |id: UserId| {
            holders
                .iter()
                .find(|u| u.id == id)
                .map_or_else(String::new, |u| u.name.clone())
        };
        Self {
            rows: tokens
                .into_iter()
                .map(|t| TokenRow {
                    id: t.id,
                    user_id: t.user_id.get(),
                    holder: name_of(t.user_id),
                    name: t.name,
                    made: zone.when(t.created_at),
                })
                .collect(),
            holders: holders
                .iter()
                .filter(|u| u.active)
                .map(|u| Choice::new(u.id, format!("{} ({})", u.name, u.email), false))
                .collect(),
            fresh: None,
            post: "/account/tokens",
            target: "#account",
        }
    }
}

/// The form that makes a token as posted (`user` only on Settings → People).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    /// Whose it is.
    pub user: String,
    /// What it is for.
    pub name: String,
}

/// The revoke button's form as posted: whose token it is.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevokeForm {
    /// The holder.
    pub user: String,
}

/// Makes a token for `holder`: what the page says, and the token to show once.
pub async fn make(
    s: &AppState,
    m: &Member,
    holder: UserId,
    name: &str,
) -> Result<(Said, Option<NewToken>), UiError> {
    match s.app.create_token(m, holder, name).await {
        Ok((meta, secret)) => {
            let whose = if meta.user_id == m.user.id {
                "you".to_owned()
            } else {
                s.app.get_user(m, meta.user_id).await?.name
            };
            let said = Said::done(format!(
                "Token “{}” made for {whose}. Copy it now: it is not shown again.",
                meta.name
            ));
            let fresh = NewToken {
                holder: whose,
                name: meta.name,
                secret,
            };
            Ok((said, Some(fresh)))
        }
        Err(e) => Ok((Said::of(Err(e))?, None)),
    }
}

/// Revokes `holder`'s token `id`, saying which one went.
pub async fn revoke(s: &AppState, m: &Member, holder: UserId, id: i64) -> Result<Said, UiError> {
    let named = s
        .app
        .list_tokens(m, holder)
        .await?
        .into_iter()
        .find(|t| t.id == id);
    let Some(token) = named else {
        return Ok(Said::lost("That token was already revoked."));
    };
    Said::of(s.app.revoke_token(m, holder, id).await.map(|()| {
        format!(
            "Token “{}” revoked: whatever used it is refused from now on.",
            token.name
        )
    }))
}
