//! `piazza-certs`: make and inspect Piazza relay certificates.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use common::invite::{Invite, DEFAULT_PORT};

/// Make and inspect certificates for a Piazza relay.
#[derive(Parser)]
#[command(name = "piazza-certs", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a self-signed certificate and print its fingerprint and an invite.
    New {
        /// DNS name or IP address the relay is reached at (repeat for several).
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
        /// Directory for cert.pem and key.pem.
        #[arg(long)]
        out: PathBuf,
        /// UDP port to put in the printed invite.
        #[arg(long, default_value_t = DEFAULT_PORT)]
        port: u16,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
    /// Print the SHA-256 fingerprint of a PEM certificate.
    Fingerprint {
        /// The certificate file.
        file: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::New {
            hosts,
            out,
            port,
            force,
        } => {
            for host in &hosts {
                Invite::check_host(host)?;
            }
            let cert = certs::generate(&hosts)?;
            let (cert_path, key_path) = cert
                .save(&out, force)
                .context("could not save the certificate")?;
            let invite = Invite {
                host: hosts[0].clone(),
                port,
                more: Vec::new(),
                fingerprint: Some(cert.fingerprint()),
                room_key: None,
                room: None,
            };
            println!("certificate: {}", cert_path.display());
            println!("key:         {}", key_path.display());
            println!("fingerprint: {}", cert.fingerprint());
            println!("invite:      {invite}");
        }
        Command::Fingerprint { file } => {
            println!("{}", certs::fingerprint_file(&file)?);
        }
    }
    Ok(())
}
