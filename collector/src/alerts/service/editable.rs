//! What the API changes at run time: a device's alert overrides, its checks switched on or
//! off, and maintenance windows. Each change is written to `alerts.redb` first, then
//! applied in memory, so the next evaluation (or check round) follows it.

use super::super::maintenance::{Scope, Window};
use super::super::rule::AlertOverride;
use super::super::store::{AlertStoreError, StoredWindow};
use super::Alerts;
use std::collections::BTreeMap;
use uuid::Uuid;

impl StoredWindow {
    /// The window as the muting code reads it.
    pub fn window(&self) -> Window {
        Window {
            scope: match self.device {
                Some(d) => Scope::Device(d),
                None => Scope::Org(self.org.to_string()),
            },
            start_us: self.start_us,
            duration_us: self.duration_us,
            every_us: self.every_us,
        }
    }
}

impl Alerts {
    /// The device's overrides, by metric configuration.
    pub async fn overrides(&self, device: Uuid) -> BTreeMap<String, AlertOverride> {
        self.devices
            .lock()
            .await
            .get(&device)
            .map(|d| d.overrides.clone())
            .unwrap_or_default()
    }

    /// Set (or with `None`, remove) a device's override of one metric configuration.
    /// The caller has checked the merged rule.
    pub async fn set_override(
        &self,
        device: Uuid,
        metric: &str,
        value: Option<AlertOverride>,
    ) -> Result<(), AlertStoreError> {
        let mut devices = self.devices.lock().await;
        self.store.set_override(device, metric, value.as_ref())?;
        let d = devices.entry(device).or_default();
        match value {
            Some(v) => d.overrides.insert(metric.to_owned(), v),
            None => d.overrides.remove(metric),
        };
        Ok(())
    }

    /// Whether `check` runs against `device` (checks are on unless switched off).
    pub fn check_active(&self, device: Uuid, check: &str) -> bool {
        !self
            .checks_off
            .lock()
            .expect("checks_off lock")
            .contains(&(device, check.to_owned()))
    }

    pub fn set_check_active(
        &self,
        device: Uuid,
        check: &str,
        active: bool,
    ) -> Result<(), AlertStoreError> {
        let mut off = self.checks_off.lock().expect("checks_off lock");
        self.store.set_check_active(device, check, active)?;
        if active {
            off.remove(&(device, check.to_owned()));
        } else {
            off.insert((device, check.to_owned()));
        }
        Ok(())
    }

    /// The windows made through the API, oldest first (the configuration's are in
    /// [`Alerts::config_windows`]).
    pub fn api_windows(&self) -> Vec<(u64, StoredWindow)> {
        self.windows.read().expect("windows lock").clone()
    }

    /// The configuration file's windows.
    pub fn config_windows(&self) -> &[Window] {
        &self.settings.maintenance
    }

    pub fn add_window(&self, window: StoredWindow) -> Result<u64, AlertStoreError> {
        let mut windows = self.windows.write().expect("windows lock");
        let id = self.store.add_window(&window)?;
        windows.push((id, window));
        Ok(id)
    }

    /// Remove an API window; `false` when there was none with that id.
    pub fn delete_window(&self, id: u64) -> Result<bool, AlertStoreError> {
        let mut windows = self.windows.write().expect("windows lock");
        let existed = self.store.delete_window(id)?;
        windows.retain(|(i, _)| *i != id);
        Ok(existed)
    }

    /// Every window in force: the configuration's and the API's.
    pub(super) fn all_windows(&self) -> Vec<Window> {
        let mut all = self.settings.maintenance.clone();
        all.extend(
            self.windows
                .read()
                .expect("windows lock")
                .iter()
                .map(|(_, w)| w.window()),
        );
        all
    }
}
