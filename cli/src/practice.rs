//! `kept challenge`: practice challenges — a manager sets one, the rep
//! answers with a recording (offline too), the manager plays, scores and
//! comments, the rep reads the feedback. A few lines per subcommand over
//! kept-core's `Kept` API.

use crate::output::print_json;
use anyhow::Context;
use clap::Subcommand;
use kept_core::service::{ChallengeState, ChallengeView, NewChallenge};
use kept_core::{CoreError, Kept};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ChallengeCommand {
    /// Set a challenge for reps (managers): the whole team unless --rep is given.
    Set {
        /// What to do, e.g. "Open a call with a positioning statement".
        prompt: String,
        /// The assessment map it is scored on (discovery-call, demo, …).
        #[arg(long)]
        map: String,
        /// Due date (YYYY-MM-DD).
        #[arg(long)]
        due: String,
        /// A rep (repeat for several).
        #[arg(long)]
        rep: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Challenges: mine (a rep), or the team's / one rep's (managers).
    List {
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Answer a challenge with a recording file (works offline; sent at the next sync).
    Answer {
        /// Challenge id (or its first or last characters, as `kept challenge list` shows them).
        id: String,
        /// The recording (.webm, .ogg, .wav, .mp3, .m4a, .mp4, …).
        file: PathBuf,
        /// Its media type, when the file name does not say (audio/webm, …).
        #[arg(long = "type")]
        mime: Option<String>,
        /// Its length in seconds, if known.
        #[arg(long)]
        seconds: Option<f64>,
    },
    /// Get an answer's recording (downloaded from the relay if needed) and print where it is.
    Play {
        id: String,
        #[arg(long)]
        rep: Option<String>,
        /// Copy it here as well.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Download answers not on this device yet (managers), or turn that on/off after each sync in the app.
    Prefetch {
        /// `on` or `off` for the app's background downloads; none: download now.
        setting: Option<String>,
    },
    /// Score an answer on the challenge's map (managers): criterion=score pairs (0–4 or poor … excellent).
    Score {
        id: String,
        #[arg(long)]
        rep: String,
        scores: Vec<String>,
    },
    /// Comment on a moment of an answer (managers).
    Comment {
        id: String,
        #[arg(long)]
        rep: String,
        /// The moment: seconds, or minutes:seconds.
        #[arg(long)]
        at: String,
        text: String,
    },
    /// Withdraw a challenge (managers).
    Withdraw {
        id: String,
        #[arg(long)]
        rep: String,
    },
}

/// The challenge whose id is `id` or starts with it.
fn find(k: &Kept, rep: Option<&str>, id: &str) -> anyhow::Result<ChallengeView> {
    let all = k.challenges(rep)?;
    // The start or the end of the id: a team challenge's copies share their start (UUIDv7
    // time), so the list shows their last eight characters.
    let hits: Vec<&ChallengeView> =
        all.iter().filter(|v| v.challenge.id.starts_with(id) || v.challenge.id.ends_with(id)).collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(CoreError::NotFound(format!("no challenge {id}: `kept challenge list` shows them")).into()),
        _ => Err(CoreError::invalid(format!("{id} matches {} challenges: give more of the id", hits.len())).into()),
    }
}

fn parse_moment(at: &str) -> Result<i64, CoreError> {
    let bad = || CoreError::invalid(format!("bad moment '{at}': expected seconds (75) or minutes:seconds (1:15)"));
    let secs = match at.split_once(':') {
        Some((m, s)) => m.parse::<i64>().map_err(|_| bad())? * 60 + s.parse::<i64>().map_err(|_| bad())?,
        None => at.parse::<i64>().map_err(|_| bad())?,
    };
    Ok(secs * 1000)
}

fn state(s: ChallengeState) -> &'static str {
    match s {
        ChallengeState::Open => "open",
        ChallengeState::Overdue => "OVERDUE",
        ChallengeState::Answered => "answered, waiting for scores",
        ChallengeState::Reviewed => "scored",
        ChallengeState::Withdrawn => "withdrawn",
    }
}

fn print(list: &[ChallengeView], json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&list);
    }
    if list.is_empty() {
        println!("No challenges.");
    }
    for v in list {
        let c = &v.challenge;
        println!(
            "{}  {}  due {}  {}  [{}]",
            &c.id[c.id.len().saturating_sub(8)..],
            v.rep_name,
            c.due,
            state(v.state),
            c.interaction
        );
        println!("    {}", c.prompt);
        if let Some(a) = &c.answer {
            let secs = a.ms.map(|ms| format!("{} s, ", ms / 1000)).unwrap_or_default();
            let sent = if v.sent {
                "sent"
            } else if v.problem.is_some() {
                "NOT SENT"
            } else {
                "waiting to be sent"
            };
            println!("    answer: {secs}{} KB {} ({sent})", a.size / 1000, a.mime);
            if let Some(p) = &v.problem {
                println!("    {p}");
            }
        }
        if !v.scores.is_empty() {
            let s: Vec<String> = v.scores.iter().map(|(k, s)| format!("{k} {s}/4")).collect();
            println!("    scores by {}: {}", v.scored_by, s.join(", "));
        }
        for m in &v.comments {
            let t = m.comment.at_ms / 1000;
            println!("    {}:{:02} {}: {}", t / 60, t % 60, m.by_name, m.comment.text);
        }
    }
    Ok(())
}

/// Runs one `kept challenge` subcommand.
pub fn run(k: &mut Kept, cmd: ChallengeCommand) -> anyhow::Result<()> {
    match cmd {
        ChallengeCommand::Set { prompt, map, due, rep, json } => {
            let set = k.challenge_set(&NewChallenge { prompt, interaction: map, due, reps: rep })?;
            if !json {
                let names: Vec<&str> = set.iter().map(|v| v.rep_name.as_str()).collect();
                println!("Challenge set for {} (reaches them with the next sync).", names.join(", "));
            }
            print(&set, json)
        }
        ChallengeCommand::List { rep, json } => print(&k.challenges(rep.as_deref())?, json),
        ChallengeCommand::Answer { id, file, mime, seconds } => {
            let id = find(k, None, &id)?.challenge.id;
            let ms = seconds.map(|s| (s * 1000.0).round() as i64);
            let v = k.challenge_answer_file(&id, &file, mime.as_deref(), ms)?;
            println!("Answer kept on this device; it is sent to your manager with the next `kept sync`.");
            print(&[v], false)
        }
        ChallengeCommand::Play { id, rep, out } => {
            let id = find(k, rep.as_deref(), &id)?.challenge.id;
            let (path, mime) = k.challenge_recording(rep.as_deref(), &id)?;
            if let Some(out) = out {
                std::fs::copy(&path, &out).with_context(|| format!("copying the recording to {}", out.display()))?;
                println!("{} ({mime})", out.display());
            } else {
                println!("{} ({mime})", path.display());
            }
            Ok(())
        }
        ChallengeCommand::Prefetch { setting } => {
            match setting.as_deref() {
                Some("on") => k.set_prefetch_recordings(true)?,
                Some("off") => k.set_prefetch_recordings(false)?,
                Some(other) => return Err(CoreError::invalid(format!("'{other}': expected on or off")).into()),
                None => println!("{} recordings downloaded.", k.prefetch_recordings(usize::MAX)?),
            }
            Ok(())
        }
        ChallengeCommand::Score { id, rep, scores } => {
            let id = find(k, Some(&rep), &id)?.challenge.id;
            let v = k.challenge_score(&rep, &id, &crate::score_pairs(&scores)?)?;
            print(&[v], false)
        }
        ChallengeCommand::Comment { id, rep, at, text } => {
            let id = find(k, Some(&rep), &id)?.challenge.id;
            let v = k.challenge_comment(&rep, &id, parse_moment(&at)?, &text)?;
            print(&[v], false)
        }
        ChallengeCommand::Withdraw { id, rep } => {
            let id = find(k, Some(&rep), &id)?.challenge.id;
            k.challenge_withdraw(&rep, &id)?;
            println!("Withdrawn.");
            Ok(())
        }
    }
}
