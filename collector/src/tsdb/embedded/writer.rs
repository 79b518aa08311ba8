//! The writer thread: the only place that opens redb write transactions.
//!
//! It takes the first queued command, drains every `write` queued behind it (up to
//! `max_batch_points`), applies them in ONE transaction and commits once: many concurrent
//! requests share one fsync (group commit). Each `write` is answered only after that commit.
//! Between two groups it runs one bounded chunk of background work (retention sweep, purge of
//! deleted series), so neither blocks ingest for long.

use super::config::{Clock, EmbeddedConfig};
use super::ingest::{self, Catalog};
use super::layout::db_err;
use super::retention::{self, Sweep, SweepReport};
use super::rollup;
use crate::tsdb::{Point, Retention, StoreError};
use redb::Database;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::{mpsc, oneshot};

pub type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A request to the writer thread.
#[derive(Debug)]
pub enum Command {
    Write {
        points: Arc<Vec<Point>>,
        reply: Reply<()>,
    },
    Delete {
        measurement: String,
        tags: Vec<(String, String)>,
        reply: Reply<()>,
    },
    Sweep {
        now_us: i64,
        reply: Reply<SweepReport>,
    },
}

/// Background work done one chunk per loop turn.
#[derive(Debug)]
enum Job {
    Sweep(Sweep, Reply<SweepReport>),
    Purge(VecDeque<u64>),
}

#[derive(Debug)]
pub struct Writer {
    pub db: Arc<Database>,
    pub config: EmbeddedConfig,
    pub clock: Arc<dyn Clock>,
    pub catalog: Catalog,
    /// Series whose points were still being purged when the store last closed.
    pub garbage: VecDeque<u64>,
    pub stats: Arc<super::Stats>,
}

impl Writer {
    /// Serve commands until every sender is gone (pending background work resumes at the
    /// next open: purges from the garbage table, sweeps on the next tick).
    pub fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let mut jobs = VecDeque::new();
        if !self.garbage.is_empty() {
            jobs.push_back(Job::Purge(std::mem::take(&mut self.garbage)));
        }
        let mut closed = false;
        while !closed || !jobs.is_empty() {
            let next = if jobs.is_empty() {
                rx.blocking_recv()
            } else {
                match rx.try_recv() {
                    Ok(command) => Some(command),
                    Err(mpsc::error::TryRecvError::Empty) => None,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        closed = true;
                        None
                    }
                }
            };
            match next {
                Some(Command::Write { points, reply }) => {
                    let pending = self.group(&mut rx, points, reply);
                    if let Some(other) = pending {
                        self.command(other, &mut jobs);
                    }
                }
                Some(other) => self.command(other, &mut jobs),
                None if jobs.is_empty() => closed = true,
                None => {}
            }
            if closed {
                // Nobody waits for a sweep any more; purges resume at the next open.
                break;
            }
            self.job_chunk(&mut jobs);
        }
        tracing::debug!("time-series writer stopped");
    }

    /// Gather the writes queued behind the first one and commit them together. Returns the
    /// non-write command that ended the group, if any (it runs after the commit, keeping
    /// the callers' order).
    fn group(
        &mut self,
        rx: &mut mpsc::Receiver<Command>,
        points: Arc<Vec<Point>>,
        reply: Reply<()>,
    ) -> Option<Command> {
        let mut total = points.len();
        let mut group = vec![(points, reply)];
        let mut ended_by = None;
        while total < self.config.max_batch_points {
            match rx.try_recv() {
                Ok(Command::Write { points, reply }) => {
                    total += points.len();
                    group.push((points, reply));
                }
                Ok(other) => {
                    ended_by = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        self.commit_group(group);
        ended_by
    }

    fn commit_group(&mut self, group: Vec<(Arc<Vec<Point>>, Reply<()>)>) {
        let now = self.clock.now_us();
        let cutoffs = [
            self.config.cutoff_us(Retention::Default, now),
            self.config.cutoff_us(Retention::Short, now),
        ];
        let requests: Vec<&[Point]> = group.iter().map(|(p, _)| p.as_slice()).collect();
        let result = self.db.begin_write().map_err(db_err).and_then(|txn| {
            let (outcomes, staged) = ingest::apply(&txn, &mut self.catalog, &requests, cutoffs)?;
            txn.commit().map_err(db_err)?;
            Ok((outcomes, staged))
        });
        match result {
            Ok((outcomes, staged)) => {
                let expired = staged.expired_dropped;
                if expired > 0 {
                    tracing::debug!(points = expired, "dropped points beyond retention");
                }
                self.catalog.merge(staged);
                let accepted: usize = requests
                    .iter()
                    .zip(&outcomes)
                    .filter(|(_, outcome)| outcome.is_ok())
                    .map(|(r, _)| r.len())
                    .sum();
                let points = accepted - expired;
                self.stats.write_commits.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .write_requests
                    .fetch_add(group.len() as u64, Ordering::Relaxed);
                self.stats
                    .points_written
                    .fetch_add(points as u64, Ordering::Relaxed);
                tracing::trace!(requests = group.len(), points, "committed write group");
                for ((_, reply), outcome) in group.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, requests = group.len(), "write group failed");
                let message = e.to_string();
                for (_, reply) in group {
                    let _ = reply.send(Err(StoreError::Unavailable(message.clone())));
                }
            }
        }
    }

    fn command(&mut self, command: Command, jobs: &mut VecDeque<Job>) {
        match command {
            Command::Write { points, reply } => self.commit_group(vec![(points, reply)]),
            Command::Delete {
                measurement,
                tags,
                reply,
            } => {
                let result = self.db.begin_write().map_err(db_err).and_then(|txn| {
                    let unlinked = retention::unlink_matching(&txn, &measurement, &tags)?;
                    txn.commit().map_err(db_err)?;
                    Ok(unlinked)
                });
                let result = result.map(|unlinked| {
                    let mut ids = VecDeque::with_capacity(unlinked.len());
                    for (id, key) in unlinked {
                        self.catalog.series.remove(&key);
                        ids.push_back(id);
                    }
                    if !ids.is_empty() {
                        jobs.push_back(Job::Purge(ids));
                    }
                });
                let _ = reply.send(result);
            }
            Command::Sweep { now_us, reply } => {
                let cutoffs = [
                    self.config.cutoff_us(Retention::Default, now_us),
                    self.config.cutoff_us(Retention::Short, now_us),
                ];
                // Rollups for hours that ended (and settled) before now; from here on a
                // write before the new bound invalidates its hour.
                let from = self.catalog.rollup_below;
                let below = rollup::hour_of(now_us - rollup::SETTLE_US).max(from);
                self.catalog.rollup_below = below;
                let sweep = Sweep {
                    cutoffs,
                    next_id: 0,
                    report: SweepReport::default(),
                    rollup_from: from,
                    rollup_below: below,
                };
                jobs.push_back(Job::Sweep(sweep, reply));
            }
        }
    }

    /// One bounded transaction of the front job.
    fn job_chunk(&mut self, jobs: &mut VecDeque<Job>) {
        let budget = self.config.sweep_chunk_points.max(1);
        let Some(mut job) = jobs.pop_front() else {
            return;
        };
        let txn = match self.db.begin_write() {
            Ok(txn) => txn,
            Err(e) => return job_failed(job, &db_err(e)),
        };
        let finished = match &mut job {
            Job::Sweep(sweep, _) => retention::sweep_chunk(&txn, sweep, budget)
                .and_then(|done| txn.commit().map_err(db_err).map(|()| done))
                .map(|(done, removed)| {
                    for key in removed {
                        self.catalog.series.remove(&key);
                    }
                    done
                }),
            Job::Purge(ids) => retention::purge_chunk(&txn, ids, budget)
                .and_then(|()| txn.commit().map_err(db_err))
                .map(|()| ids.is_empty()),
        };
        match finished {
            Ok(false) => jobs.push_front(job),
            Ok(true) => {
                if let Job::Sweep(sweep, reply) = job {
                    tracing::debug!(
                        points = sweep.report.points,
                        series = sweep.report.series,
                        "retention sweep done"
                    );
                    let _ = reply.send(Ok(sweep.report));
                }
            }
            Err(e) => job_failed(job, &e),
        }
    }
}

/// A failed chunk abandons its job: a sweep answers the error; a purge resumes from the
/// garbage table at the next open.
fn job_failed(job: Job, error: &StoreError) {
    tracing::warn!(%error, "time-series background job failed");
    if let Job::Sweep(_, reply) = job {
        let _ = reply.send(Err(StoreError::Unavailable(error.to_string())));
    }
}
