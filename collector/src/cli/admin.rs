//! `org`, `device` and `token` subcommands: the registry from the command line.

use clap::Subcommand;
use edgemon_collector::config::Config;
use edgemon_collector::registry::{Device, Location, NewDevice, Org, Registry, Role, Token};
use std::io::Write;
use std::process::ExitCode;
use uuid::Uuid;

#[derive(Debug, Subcommand)]
pub enum OrgCmd {
    /// Create an organization.
    Add {
        /// Display name.
        name: String,
        /// Short unique name (a-z, 0-9, '-', '_'), used in MQTT topics.
        #[arg(long)]
        slug: String,
        /// Shared secret that lets devices register themselves.
        #[arg(long)]
        shared_secret: Option<String>,
    },
    /// List organizations.
    List,
    /// Show one organization (id or slug).
    Show { org: String },
    /// Set or clear (with no value) the registration shared secret.
    SetSecret { org: String, secret: Option<String> },
    /// Disable an organization: its devices get 404.
    Deactivate { org: String },
    /// Enable an organization again.
    Activate { org: String },
    /// Delete an organization without devices.
    Delete { org: String },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCmd {
    /// Create a device; prints its id and key (the key is shown only now).
    Add {
        /// Organization id or slug.
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        mac: String,
        /// Use this key instead of a random one (e.g. an existing OpenWISP key).
        #[arg(long)]
        key: Option<String>,
        /// Use this id instead of a random one (e.g. an existing OpenWISP device).
        #[arg(long)]
        id: Option<Uuid>,
        #[arg(long, default_value = "")]
        model: String,
        #[arg(long, requires = "lng")]
        lat: Option<f64>,
        #[arg(long, requires = "lat")]
        lng: Option<f64>,
        #[arg(long, default_value = "")]
        address: String,
    },
    /// List devices, optionally of one organization.
    List {
        #[arg(long)]
        org: Option<String>,
    },
    /// Show one device.
    Show { id: Uuid },
    /// Give a device a new random key (printed); the old key stops working at once.
    RotateKey { id: Uuid },
    /// Deactivate: the device's samples get 404; its history stays.
    Deactivate { id: Uuid },
    /// Activate again.
    Activate { id: Uuid },
    /// Delete the device from the registry.
    Delete { id: Uuid },
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create an API token; prints the secret (shown only now).
    Add {
        #[arg(long)]
        name: String,
        /// viewer, manager or superuser.
        #[arg(long)]
        role: Role,
        /// Organization ids or slugs the token may see (repeat); not needed for superuser.
        #[arg(long = "org")]
        orgs: Vec<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Show one token: name, role, organizations, creation time.
    Show { id: Uuid },
    /// Give a token a new secret (printed once); the old one stops working.
    Rotate { id: Uuid },
    /// Delete a token.
    Delete { id: Uuid },
}

fn open(config: &Config) -> anyhow::Result<Registry> {
    std::fs::create_dir_all(&config.data_dir)?;
    let path = config.data_dir.join("registry.redb");
    Registry::open(&path)
        .map_err(|e| anyhow::anyhow!("{e} (a running collector holds the registry; stop it first)"))
}

fn show_org(out: &mut impl Write, o: &Org) -> std::io::Result<()> {
    writeln!(
        out,
        "id: {}\nname: {}\nslug: {}\nactive: {}\nregistration: {}",
        o.id,
        o.name,
        o.slug,
        o.active,
        if o.shared_secret.is_some() {
            "enabled"
        } else {
            "disabled"
        }
    )
}

fn show_device(out: &mut impl Write, d: &Device, org: Option<&Org>) -> std::io::Result<()> {
    writeln!(
        out,
        "id: {}\nname: {}\norganization: {}\nmac: {}\nmodel: {}\nos: {}\nactive: {}\nlast_ip: {}\nmanagement_ip: {}",
        d.id,
        d.name,
        org.map_or_else(|| d.org.to_string(), |o| o.slug.clone()),
        d.mac,
        d.model,
        d.os,
        d.active,
        d.last_ip.as_deref().unwrap_or(""),
        d.management_ip.as_deref().unwrap_or(""),
    )?;
    if let Some(l) = &d.location {
        writeln!(out, "location: {}, {} {}", l.lat, l.lng, l.address)?;
    }
    Ok(())
}

fn show_token(out: &mut impl Write, t: &Token) -> std::io::Result<()> {
    let orgs: Vec<String> = t.orgs.iter().map(Uuid::to_string).collect();
    writeln!(out, "{}\t{}\t{}\t{}", t.id, t.name, t.role, orgs.join(","))
}

pub fn org(config: &Config, cmd: &OrgCmd) -> anyhow::Result<ExitCode> {
    let r = open(config)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        OrgCmd::Add {
            name,
            slug,
            shared_secret,
        } => show_org(
            &mut out,
            &r.create_org(name, slug, shared_secret.as_deref())?,
        )?,
        OrgCmd::List => {
            for o in r.orgs()? {
                writeln!(out, "{}\t{}\t{}\tactive={}", o.id, o.slug, o.name, o.active)?;
            }
        }
        OrgCmd::Show { org } => show_org(&mut out, &r.find_org(org)?)?,
        OrgCmd::SetSecret { org, secret } => {
            let o = r.find_org(org)?;
            show_org(&mut out, &r.set_org_secret(o.id, secret.as_deref())?)?;
        }
        OrgCmd::Deactivate { org } => {
            let o = r.find_org(org)?;
            show_org(&mut out, &r.set_org_active(o.id, false)?)?;
        }
        OrgCmd::Activate { org } => {
            let o = r.find_org(org)?;
            show_org(&mut out, &r.set_org_active(o.id, true)?)?;
        }
        OrgCmd::Delete { org } => {
            let o = r.find_org(org)?;
            r.delete_org(o.id)?;
            writeln!(out, "deleted organization {}", o.slug)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn device(config: &Config, cmd: &DeviceCmd) -> anyhow::Result<ExitCode> {
    let r = open(config)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        DeviceCmd::Add {
            org,
            name,
            mac,
            key,
            id,
            model,
            lat,
            lng,
            address,
        } => {
            let o = r.find_org(org)?;
            let location = match (lat, lng) {
                (Some(lat), Some(lng)) => Some(Location {
                    lat: *lat,
                    lng: *lng,
                    address: address.clone(),
                }),
                _ => None,
            };
            let (d, key) = r.create_device(NewDevice {
                org: o.id,
                name: name.clone(),
                mac: mac.clone(),
                key: key.clone(),
                model: model.clone(),
                os: String::new(),
                location,
                id: *id,
            })?;
            show_device(&mut out, &d, Some(&o))?;
            writeln!(out, "key: {key}")?;
        }
        DeviceCmd::List { org } => {
            let filter = org.as_deref().map(|o| r.find_org(o)).transpose()?;
            for d in r.devices(filter.map(|o| o.id))? {
                writeln!(out, "{}\t{}\t{}\tactive={}", d.id, d.name, d.mac, d.active)?;
            }
        }
        DeviceCmd::Show { id } => {
            let d = r
                .device(*id)?
                .ok_or_else(|| anyhow::anyhow!("no device {id}"))?;
            let o = r.org(d.org)?;
            show_device(&mut out, &d, o.as_ref())?;
        }
        DeviceCmd::RotateKey { id } => writeln!(out, "key: {}", r.rotate_key(*id)?)?,
        DeviceCmd::Deactivate { id } => {
            show_device(&mut out, &r.set_device_active(*id, false)?, None)?;
        }
        DeviceCmd::Activate { id } => {
            show_device(&mut out, &r.set_device_active(*id, true)?, None)?;
        }
        DeviceCmd::Delete { id } => {
            let d = r.delete_device(*id)?;
            writeln!(out, "deleted device {} ({})", d.id, d.name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn token(config: &Config, cmd: &TokenCmd) -> anyhow::Result<ExitCode> {
    let r = open(config)?;
    let mut out = std::io::stdout().lock();
    match cmd {
        TokenCmd::Add { name, role, orgs } => {
            let ids = orgs
                .iter()
                .map(|o| r.find_org(o).map(|o| o.id))
                .collect::<Result<Vec<_>, _>>()?;
            let (t, secret) = r.create_token(name, *role, ids)?;
            show_token(&mut out, &t)?;
            writeln!(out, "token: {secret}")?;
        }
        TokenCmd::List => {
            for t in r.tokens()? {
                show_token(&mut out, &t)?;
            }
        }
        TokenCmd::Show { id } => {
            let t = r.token(*id)?;
            writeln!(out, "id: {}\nname: {}\nrole: {}", t.id, t.name, t.role)?;
            for org in &t.orgs {
                match r.org(*org)? {
                    Some(o) => writeln!(out, "org: {} ({})", o.slug, o.id)?,
                    None => writeln!(out, "org: {org} (deleted)")?,
                }
            }
            writeln!(out, "created_us: {}", t.created_us)?;
        }
        TokenCmd::Rotate { id } => {
            let (t, secret) = r.rotate_token(*id)?;
            show_token(&mut out, &t)?;
            writeln!(out, "token: {secret}")?;
        }
        TokenCmd::Delete { id } => {
            r.delete_token(*id)?;
            writeln!(out, "deleted token {id}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `mqtt-acl`: the mosquitto ACL for the served organizations.
pub fn mqtt_acl(config: &Config, out: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let reg = open(config)?;
    let mut orgs = reg.orgs()?;
    if !config.mqtt.orgs.is_empty() {
        for slug in &config.mqtt.orgs {
            anyhow::ensure!(
                orgs.iter().any(|o| &o.slug == slug),
                "option `mqtt.orgs`: no organization `{slug}` in the registry"
            );
        }
        orgs.retain(|o| config.mqtt.orgs.contains(&o.slug));
    }
    let user = config
        .mqtt
        .username
        .as_deref()
        .unwrap_or("edgemon-collector");
    let acl = edgemon_collector::mqtt::acl::mosquitto_acl(user, &orgs, &reg.devices(None)?);
    match out {
        None => std::io::stdout().write_all(acl.as_bytes())?,
        Some(path) => {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, acl)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, path)
                .map_err(|e| anyhow::anyhow!("cannot replace {}: {e}", path.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
