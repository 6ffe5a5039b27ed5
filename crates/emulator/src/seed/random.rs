//! Many random conversations at once: `POST /__emulator/seed` and
//! `--seed-conversations`. With `rngSeed` the ids and shapes repeat.

use super::conversation::{build, Shape};
use super::org::QUEUE_ID;
use crate::ground::ids::rand_uuid;
use crate::model::{Media, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Body of `POST /__emulator/seed` (and `--seed-conversations`).
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedSpec {
    pub count: usize,
    pub mix: Option<BTreeMap<String, f64>>,
    pub age_min_ms: Option<i64>,
    pub age_max_ms: Option<i64>,
    pub ended_fraction: Option<f64>,
    pub agent_fraction: Option<f64>,
    pub wrapup_required_fraction: Option<f64>,
    pub rng_seed: Option<u64>,
    /// Each conversation lands in one of these divisions, at random
    /// (default: Home).
    pub division_ids: Option<Vec<String>>,
}

pub const MAX_SEED: usize = 1_000_000;

impl SeedSpec {
    pub fn count(count: usize, rng_seed: Option<u64>) -> Self {
        SeedSpec {
            count,
            mix: None,
            age_min_ms: None,
            age_max_ms: None,
            ended_fraction: None,
            agent_fraction: None,
            wrapup_required_fraction: None,
            rng_seed,
            division_ids: None,
        }
    }
}

/// Creates `spec.count` random conversations; returns their ids.
/// With `rngSeed` the ids and shapes repeat (times are relative to now).
pub fn seed(
    store: &mut Store,
    rng: &mut StdRng,
    spec: &SeedSpec,
    now: i64,
) -> Result<Vec<String>, String> {
    if spec.count > MAX_SEED {
        return Err(format!("count must be at most {MAX_SEED}"));
    }
    let mix = mix(spec)?;
    let total: f64 = mix.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return Err("mix weights must not all be 0".into());
    }
    let age_min = spec.age_min_ms.unwrap_or(60_000);
    let age_max = spec.age_max_ms.unwrap_or(86_400_000);
    if age_min < 0 || age_max < age_min {
        return Err("need 0 <= ageMinMs <= ageMaxMs".into());
    }
    let ended_fraction = fraction(spec.ended_fraction, 0.1, "endedFraction")?;
    let agent_fraction = fraction(spec.agent_fraction, 0.8, "agentFraction")?;
    let wrapup_fraction = fraction(
        spec.wrapup_required_fraction,
        0.25,
        "wrapupRequiredFraction",
    )?;

    let divisions = spec.division_ids.clone().unwrap_or_default();
    if let Some(d) = divisions.iter().find(|d| !store.divisions.contains_key(*d)) {
        return Err(format!("unknown division {d}"));
    }
    let mut own_rng = spec.rng_seed.map(StdRng::seed_from_u64);
    let rng: &mut StdRng = own_rng.as_mut().unwrap_or(rng);
    let mut ids = Vec::with_capacity(spec.count);
    for _ in 0..spec.count {
        let media = pick_media(&mix, total, rng);
        let started_at = now - rng.random_range(age_min..=age_max);
        let last_activity_at = rng.random_range(started_at..=now);
        let agent = rng.random_bool(agent_fraction);
        let shape = Shape {
            id: rand_uuid(rng),
            media,
            ended: rng.random_bool(ended_fraction),
            started_at,
            last_activity_at,
            agent,
            agent_wrapup_required: agent && rng.random_bool(wrapup_fraction),
            stuck: false,
            queue_id: QUEUE_ID.into(),
        };
        let mut conv = build(shape, rng);
        // Drawn only when asked for, so older seeds repeat unchanged.
        if !divisions.is_empty() {
            conv.division_ids = vec![divisions[rng.random_range(0..divisions.len())].clone()];
        }
        ids.push(conv.id.clone());
        store.insert_conversation(conv);
    }
    Ok(ids)
}

/// The media mix asked for (default: mostly web messaging), checked.
fn mix(spec: &SeedSpec) -> Result<Vec<(Media, f64)>, String> {
    Ok(match &spec.mix {
        None => vec![
            (Media::WebMessaging, 0.7),
            (Media::Open, 0.1),
            (Media::WhatsApp, 0.1),
            (Media::Voice, 0.1),
        ],
        Some(m) => m
            .iter()
            .map(|(k, w)| match Media::parse(k) {
                Some(media) if w.is_finite() && *w >= 0.0 => Ok((media, *w)),
                Some(_) => Err(format!("mix weight for `{k}` must be >= 0")),
                None => Err(format!("unknown type `{k}` in mix")),
            })
            .collect::<Result<_, _>>()?,
    })
}

/// A fraction given (or its default), checked to be between 0 and 1.
fn fraction(v: Option<f64>, default: f64, name: &str) -> Result<f64, String> {
    let f = v.unwrap_or(default);
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err(format!("{name} must be between 0 and 1"))
    }
}

/// One media drawn from the mix by weight (`total`: the weights' sum).
fn pick_media(mix: &[(Media, f64)], total: f64, rng: &mut StdRng) -> Media {
    let mut x = rng.random::<f64>() * total;
    let mut media = mix[0].0;
    for (m, w) in mix {
        if *w > 0.0 {
            media = *m;
            if x < *w {
                break;
            }
            x -= w;
        }
    }
    media
}
