//! Email from the outbox (issue 17): the SMTP settings an operator gives, the [`Mailer`]
//! that sends over them, and the letters people get ([`compose`]). Deliveries are queued
//! with their events (see `leadpool_store::deliveries`) and sent by the
//! [`crate::deliver::Deliverer`], with the webhooks' retries.

pub mod compose;

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use leadpool_domain::delivery::{EventType, MailChoices, next_digest};

use crate::{App, AppError, Member};
use compose::Letter;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailTls {
    /// Plain SMTP, upgraded with STARTTLS, which the server must offer (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption at all: only for a relay on this machine or in tests (port 25).
    None,
}

impl MailTls {
    /// Parses `starttls`, `tls` or `none`, saying which exist.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(Self::StartTls),
            "tls" => Ok(Self::Tls),
            "none" => Ok(Self::None),
            other => Err(format!(
                "`{other}` is not a choice; use starttls, tls or none"
            )),
        }
    }

    /// The port a server usually listens on with this mode.
    pub const fn default_port(self) -> u16 {
        match self {
            Self::StartTls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::StartTls => "STARTTLS",
            Self::Tls => "TLS",
            Self::None => "no encryption",
        }
    }
}

/// The SMTP server and the sender, as the operator configured them.
#[derive(Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// The server's host name.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: MailTls,
    /// The user name and password to sign in with, if the server wants them.
    pub credentials: Option<(String, String)>,
    /// The sender, `leads@brokerage.example` or `Leadpool <leads@brokerage.example>`.
    pub from: String,
    /// Where people open leadpool, for the links in letters (`https://leads.example`).
    pub public_url: String,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never reaches a log.
        f.debug_struct("MailConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.credentials.as_ref().map(|c| &c.0))
            .field("from", &self.from)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// How one letter's sending went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Whether the server took the letter.
    pub accepted: bool,
    /// Its reply code (250 when taken); `None` when it never answered.
    pub code: Option<u16>,
    /// Why it was not taken.
    pub error: Option<String>,
}

/// Sends letters through one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    describe: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.describe)
            .finish_non_exhaustive()
    }
}

/// How long the server may take over one step of the conversation.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

impl Mailer {
    /// A mailer for `config`; a sender that is not an address is refused.
    pub fn new(config: &MailConfig) -> Result<Self, AppError> {
        crate::install_tls();
        let from: Mailbox = config.from.parse().map_err(|e| {
            AppError::invalid(
                "mail_from",
                format!("`{}` is not an email address ({e})", config.from),
            )
        })?;
        let builder = match config.tls {
            MailTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host),
            MailTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host),
            MailTls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                config.host.as_str(),
            )),
        }
        .map_err(|e| AppError::invalid("smtp_host", format!("`{}`: {e}", config.host)))?;
        let mut builder = builder.port(config.port).timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            public_url: config.public_url.trim_end_matches('/').to_owned(),
            describe: format!(
                "{}:{} ({}) from {}",
                config.host,
                config.port,
                config.tls.name(),
                config.from
            ),
        })
    }

    /// The server and sender, as the start-up line and the logs name them.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// Where letters link to.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Sends `letter` to `name <to>`, with `message_id` as its Message-ID so a retried
    /// letter can be recognized. A refusal or a broken connection is an unsent letter, not
    /// an error: the delivery's retries take it from there.
    pub async fn send(&self, to: &str, name: &str, letter: &Letter, message_id: &str) -> Sent {
        let message = to
            .parse()
            .map(|address| Mailbox::new(Some(name.to_owned()), address))
            .map_err(|e| format!("`{to}` is not an address ({e})"))
            .and_then(|to| {
                Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(&letter.subject)
                    .message_id(Some(message_id.to_owned()))
                    .multipart(MultiPart::alternative_plain_html(
                        letter.text(),
                        letter.html(),
                    ))
                    .map_err(|e| format!("cannot build the letter: {e}"))
            });
        let message = match message {
            Ok(m) => m,
            Err(error) => {
                return Sent {
                    accepted: false,
                    code: None,
                    error: Some(error),
                };
            }
        };
        match self.transport.send(message).await {
            Ok(reply) => Sent {
                accepted: reply.is_positive(),
                code: Some(u16::from(reply.code())),
                error: (!reply.is_positive())
                    .then(|| format!("the server answered {}", reply.code())),
            },
            Err(e) => Sent {
                accepted: false,
                code: e.status().map(u16::from),
                error: Some(smtp_error(&e)),
            },
        }
    }
}

/// What the log says of a failed send: the innermost cause names it (refused, TLS, auth).
fn smtp_error(e: &lettre::transport::smtp::Error) -> String {
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = format!("{e}: {s}");
        source = s.source();
    }
    cause
}

/// What a person is emailed about, as their account shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// Whether this server sends email at all.
    pub email_on: bool,
    /// Where their letters go.
    pub address: String,
    /// What they chose.
    pub chosen: MailChoices,
}

impl MailSettings {
    /// Every choice a person has, in order: the event type, what it means in words, and
    /// whether they chose it.
    pub fn choices(&self) -> Vec<(EventType, &'static str, bool)> {
        EventType::ALL
            .into_iter()
            .filter_map(|t| {
                t.mail_choice()
                    .map(|label| (t, label, self.chosen.wants(t)))
            })
            .collect()
    }
}

impl App {
    /// Whether this server sends email (an SMTP server is configured).
    pub fn sends_email(&self) -> bool {
        self.store().mails()
    }

    /// The signed-in person's email choices.
    pub async fn mail_settings(&self, m: &Member) -> Result<MailSettings, AppError> {
        let mut tx = self.store().read().await?;
        let chosen = tx.mail_choices(m.viewer.org, m.user.id).await?;
        tx.commit().await?;
        Ok(MailSettings {
            email_on: self.sends_email(),
            address: m.user.email.clone(),
            chosen,
        })
    }

    /// Keeps what the signed-in person wants to be emailed about (event type names; see
    /// [`EventType::mail_choice`]). Kept even while the server sends no email, for when it
    /// does.
    #[tracing::instrument(name = "set_mail_choices", skip_all, fields(org = %m.viewer.org, actor = %m.user.id), err(level = "debug"))]
    pub async fn set_mail_choices<S: AsRef<str>>(
        &self,
        m: &Member,
        names: &[S],
    ) -> Result<MailSettings, AppError> {
        let chosen = MailChoices::parse(names).map_err(|e| AppError::invalid("email_events", e))?;
        let mut tx = self.store().write().await?;
        let first_digest = next_digest(self.now(), &crate::directory::zone_of(&m.user));
        tx.set_mail_choices(m.viewer.org, m.user.id, &chosen, first_digest)
            .await?;
        tx.commit().await?;
        self.mail_settings(m).await
    }
}
