//! `vigil admin`: accounts from the command line, e.g. the first administrator
//! (`vigil admin create-user --email E --org NAME --role admin`). The password comes from
//! standard input (`--password-stdin`) or a prompt that does not echo it; never from the command
//! line, where other users of the machine could read it.

use std::io::BufRead as _;

use clap::Subcommand;
use vigil_store::accounts::{AccountError, MIN_PASSWORD_LEN, NewUser, parse_role};

use crate::Failure;
use crate::audit_cmd::CLI_ACTOR;
use crate::screen_cmd::open_store;

/// `vigil admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user and make them a member of an organisation (created when none has that name).
    CreateUser {
        /// The user's e-mail (their sign-in name).
        #[arg(long)]
        email: String,
        /// The organisation's name.
        #[arg(long)]
        org: String,
        /// Their role there: admin, officer, operator or auditor.
        #[arg(long, default_value = "admin")]
        role: String,
        /// The name shown (default: the e-mail).
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn read_password(stdin: bool) -> Result<String, Failure> {
    if stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::Input(format!("<stdin>: cannot read the password: {e}")))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password(format!(
        "Password (at least {MIN_PASSWORD_LEN} characters): "
    ))
    .map_err(|e| {
        Failure::Input(format!(
            "cannot read the password: {e} (use --password-stdin)"
        ))
    })?;
    let again = rpassword::prompt_password("Password again: ")
        .map_err(|e| Failure::Input(format!("cannot read the password: {e}")))?;
    if first != again {
        return Err(Failure::Input("the two passwords differ".to_owned()));
    }
    Ok(first)
}

/// Runs `vigil admin …` on the database `db` (default `sqlite://vigil.db`).
pub fn run(command: AdminCommand, db: Option<&str>, json: bool) -> Result<(), Failure> {
    match command {
        AdminCommand::CreateUser {
            email,
            org,
            role,
            name,
            password_stdin,
        } => {
            let role = parse_role(&role).ok_or_else(|| {
                Failure::Input(format!(
                    "--role {role:?}: one of admin, officer, operator, auditor"
                ))
            })?;
            let password = read_password(password_stdin)?;
            let store = open_store(db)?;
            let created = store.admin_create_user(
                &NewUser {
                    email: &email,
                    display_name: &name,
                    password: &password,
                },
                &org,
                role,
                CLI_ACTOR,
            );
            let (user, org) = match created {
                Ok(v) => v,
                Err(e @ (AccountError::Invalid { .. } | AccountError::EmailTaken(_))) => {
                    return Err(Failure::Input(e.to_string()));
                }
                Err(e) => return Err(Failure::Other(anyhow::Error::new(e))),
            };
            if json {
                crate::print_json(&serde_json::json!({
                    "user_id": user.id,
                    "email": user.email,
                    "org_id": org.id,
                    "org": org.name,
                    "role": role.as_str(),
                }))?;
            } else {
                println!(
                    "Created {} ({}) as {} of {} ({}).",
                    user.email,
                    user.id,
                    role.as_str(),
                    org.name,
                    org.id
                );
            }
            Ok(())
        }
    }
}
