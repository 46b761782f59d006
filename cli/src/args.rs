//! The `kept` command line: every subcommand and flag (clap).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// kept: the headless Kept client — log sales activities, see your week, sync with your team.
#[derive(Debug, Parser)]
#[command(name = "kept", version, about)]
pub struct Cli {
    /// The home folder holding this device's store (default: $KEPT_HOME, else ~/.local/share/kept).
    #[arg(long, global = true, env = "KEPT_HOME")]
    pub home: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a home with a new team, offline (join a relay later with `kept join`).
    Init {
        /// Team name.
        #[arg(long)]
        team: String,
        /// Your name.
        #[arg(long)]
        me: String,
        /// Your role: rep or manager.
        #[arg(long)]
        role: String,
        /// Team time zone (IANA name, e.g. Europe/Berlin); default UTC.
        #[arg(long)]
        tz: Option<String>,
        /// First day of the team's week (mon … sun); default mon.
        #[arg(long)]
        week_start: Option<String>,
    },
    /// Log an activity (one tap on the phone).
    Log {
        /// Activity type key (call, conversation, meeting-set, …: `kept team show` lists them).
        #[arg(value_name = "TYPE")]
        kind: String,
        #[command(flatten)]
        fields: ActivityFields,
        /// Log for this rep (managers).
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change an activity's details.
    Edit {
        /// Activity id.
        id: String,
        /// New activity type.
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        #[command(flatten)]
        fields: ActivityFields,
        #[arg(long)]
        json: bool,
    },
    /// Delete an activity.
    Delete {
        /// Activity id.
        id: String,
    },
    /// List a week's activities.
    Activities {
        /// Week like 2026-W48 (default: this week).
        #[arg(long)]
        week: Option<String>,
        /// Another rep's (managers).
        #[arg(long)]
        rep: Option<String>,
        /// Every rep's (managers).
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// A week against targets: pace and the Thursday-Afternoon check.
    Week {
        /// Week like 2026-W48 (default: this week).
        #[arg(long)]
        week: Option<String>,
        /// Another rep's (managers).
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Weekly targets.
    Target {
        #[command(subcommand)]
        command: TargetCommand,
    },
    /// Action items.
    Action {
        #[command(subcommand)]
        command: ActionCommand,
    },
    /// Export as CSV.
    Export {
        /// Output format (only csv).
        #[arg(long, default_value = "csv")]
        format: String,
        /// What to export: activities, actions, targets, commitments, goals, deals, meetings, assessments, development, kudos.
        #[arg(long, default_value = "activities")]
        what: String,
        /// Write to this file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Merge another local home both ways, without a server (into an empty
    /// --home: make it a second device of the same member).
    MergeFrom {
        /// The other home folder.
        other: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Team settings and catalog.
    Team {
        #[command(subcommand)]
        command: TeamCommand,
    },
    /// Join a team on a relay with an invite code (into a new --home).
    Join {
        /// Relay address, e.g. http://127.0.0.1:8787.
        url: String,
        /// The invite code (codes of older relays may start with '-').
        #[arg(allow_hyphen_values = true)]
        invite: String,
        /// Your name, if the invite does not carry it.
        #[arg(long)]
        name: Option<String>,
        /// A label for this device.
        #[arg(long, default_value = "kept cli")]
        device: String,
        /// Allow plain http to a relay that is not on this machine.
        #[arg(long)]
        insecure_http: bool,
        #[arg(long)]
        json: bool,
    },
    /// Push local changes and pull the team's (with --watch: keep following the live channel).
    Sync {
        /// Keep running: sync whenever the relay says the team moved.
        #[arg(long)]
        watch: bool,
        #[arg(long)]
        json: bool,
    },
    /// Pending changes, last sync, what is set aside, and whether the relay answers.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Changes set aside so the rest keeps syncing: ones the relay refused for
    /// good, and ones from the relay this device could not apply.
    Quarantine {
        #[command(subcommand)]
        cmd: Option<QuarantineCmd>,
        #[arg(long)]
        json: bool,
    },
    /// Create a one-time invite (managers).
    Invite {
        /// Role of the person invited: rep or manager.
        #[arg(long, default_value = "rep")]
        role: String,
        /// Their name (optional: they can give it when joining).
        #[arg(long)]
        name: Option<String>,
        /// A one-time code for another device of my own (a second phone, a new laptop): any member.
        #[arg(long, conflicts_with_all = ["role", "name"])]
        me: bool,
        #[arg(long)]
        json: bool,
    },
    /// The team board: reps × activity types, actual vs target, pace (managers).
    Board {
        /// Week like 2026-W48 (default: this week).
        #[arg(long)]
        week: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Devices of the team (managers) or mine, and revoking one.
    Devices {
        /// Revoke this device id.
        #[arg(long)]
        revoke: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Seed a demo team on a relay: join as its manager with the manager
    /// invite, then invite reps and write weeks of realistic history for each.
    Demo {
        /// Relay address.
        #[arg(long)]
        relay: String,
        /// The manager's invite (from `kept-relay team create`).
        #[arg(long)]
        invite: String,
        /// Folder for the homes (manager/, anna/, …).
        #[arg(long)]
        dir: PathBuf,
        /// How many reps.
        #[arg(long, default_value_t = 6)]
        reps: usize,
        /// Weeks of history.
        #[arg(long, default_value_t = 12)]
        weeks: i64,
        /// Random seed (same seed, same team).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The first demo rep name to use (0 = Anna), so several teams differ.
        #[arg(long, default_value_t = 0)]
        first_rep: usize,
        /// How the manager coaches: steady, status-reports (reps rate the 1-on-1s low) or strong.
        #[arg(long, default_value = "steady")]
        coaching: String,
        #[arg(long)]
        json: bool,
    },
    /// A leader's organisation: its teams side by side (run in the leadership team's home).
    Org {
        #[command(subcommand)]
        command: Option<OrgCommand>,
        #[arg(long)]
        json: bool,
    },
    /// Warning signs with the numbers behind them (managers: every rep).
    Signs {
        /// Only this rep.
        #[arg(long)]
        rep: Option<String>,
        /// Every sign (default: at most three per rep, the most serious first).
        #[arg(long)]
        all: bool,
        /// Acknowledge this kind of sign of --rep for this week (managers), with --note.
        #[arg(long, value_name = "KIND", requires_all = ["rep", "note"])]
        ack: Option<String>,
        /// The note that goes into the rep's coaching record.
        #[arg(long)]
        note: Option<String>,
        /// The rep's notes on signs (their coaching record).
        #[arg(long)]
        notes: bool,
        #[arg(long)]
        json: bool,
    },
    /// Weekly commitments.
    Commit {
        #[command(subcommand)]
        command: CommitCommand,
    },
    /// Goal planner: a yearly income goal into weekly behaviour targets (reverse funnel).
    Plan {
        /// Yearly income goal.
        #[arg(long)]
        income: f64,
        /// Your share of revenue (0.1 for 10%).
        #[arg(long)]
        commission: f64,
        /// Average deal size.
        #[arg(long)]
        deal_size: f64,
        /// Selling weeks a year.
        #[arg(long, default_value_t = 46.0)]
        weeks: f64,
        /// For this rep (managers).
        #[arg(long)]
        rep: Option<String>,
        /// Agree the plan: its weekly numbers become standing targets from this week.
        #[arg(long)]
        agree: bool,
        #[arg(long)]
        json: bool,
    },
    /// Import activities from a CSV file (a header row; type and date columns required).
    ///
    /// Salesforce activity reports, HubSpot and Pipedrive activity exports and
    /// Kept's own export are recognised from their header row. A manager's file
    /// with an owner column (Assigned, Owner, ...) goes to each row's rep. Rows
    /// imported before are not imported again. Try --dry-run first.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Format (only csv).
        #[arg(long, default_value = "csv")]
        format: String,
        /// For this rep (managers).
        #[arg(long)]
        rep: Option<String>,
        /// Check every row and list the rejected ones; import nothing.
        #[arg(long, conflicts_with = "skip_bad")]
        dry_run: bool,
        /// Import exactly the good rows and list the rejected ones (default: all or nothing).
        #[arg(long)]
        skip_bad: bool,
        /// Column mapping, repeatable: FIELD=HEADER (fields: type, date, count, kare, account,
        /// outcome, note, duration), e.g. --map "date=Activity Date".
        #[arg(long = "map")]
        map: Vec<String>,
        /// Activity-name mapping, repeatable: CRM NAME=TYPE, e.g. --map-type "Logged call=call".
        #[arg(long = "map-type")]
        map_type: Vec<String>,
        /// Rep mapping, repeatable: CRM NAME=MEMBER, e.g. --map-rep "J. Alvarez=Julia Álvarez"
        /// (names are otherwise matched without case or accents).
        #[arg(long = "map-rep")]
        map_rep: Vec<String>,
        /// The order of dates like 03/04/2026: us (MM/DD/YYYY), eu (DD/MM/YYYY) or iso;
        /// default: from the whole column (asked for when every day is 12 or less).
        #[arg(long)]
        date_format: Option<String>,
        /// The unit of plain-number durations: sec, min, hours or ms; default: from the
        /// header ("Duration (sec)"), the CRM or the values.
        #[arg(long)]
        duration_unit: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Coaching meetings: open one (agenda + reconciliation), notes, action items.
    Meeting {
        #[command(subcommand)]
        command: MeetingCommand,
    },
    /// Prepare a 1-on-1: numbers vs targets and team median, trends, KARE, commitments, signs, assessment, agenda.
    Prep {
        /// The rep (managers).
        #[arg(long)]
        rep: Option<String>,
        /// Meeting type: one-on-one, deal-review, pipeline-review, forecast-review, weekly-scrum.
        #[arg(long = "type", default_value = "one-on-one")]
        kind: String,
        #[arg(long)]
        json: bool,
    },
    /// Score an interaction on the assessment map (managers: a rep; reps: themselves).
    Assess {
        /// Interaction: discovery-call, demo, negotiation, one-on-one.
        interaction: String,
        /// criterion=score pairs, score: not-present, poor, fair, good, excellent (or 0–4).
        scores: Vec<String>,
        /// The rep (managers).
        #[arg(long)]
        rep: Option<String>,
    },
    /// Calibration: one interaction scored blind by several people, then the spread revealed.
    Calibrate {
        #[command(subcommand)]
        command: CalibrateCommand,
    },
    /// Practice challenges: a manager asks, the rep answers with a recording, the manager scores and comments.
    Challenge {
        #[command(subcommand)]
        command: crate::practice::ChallengeCommand,
    },
    /// A rep's assessment map (manager's and self-scores side by side), or the team's weakest criteria.
    Assessments {
        /// Interaction type.
        interaction: String,
        #[arg(long)]
        rep: Option<String>,
        /// The team's weakest criteria (managers).
        #[arg(long)]
        weakest: bool,
        #[arg(long)]
        json: bool,
    },
    /// Kudos: give recognition (managers) or read the team's feed.
    Kudos {
        /// Who gets it (omit to read the feed).
        #[arg(long)]
        to: Option<String>,
        /// What for.
        #[arg(long)]
        text: Option<String>,
        /// Tie it to what earned it: activity:ID, commitment:ID (kept) or deal:ID (won).
        #[arg(long = "for")]
        about: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Check the store (database integrity, every document loads, views agree); --repair fixes what it can.
    Doctor {
        /// Drop documents that cannot be loaded (rebuilt from this device's unsent changes and a
        /// fresh pull from the relay) and rebuild every view.
        #[arg(long)]
        repair: bool,
    },
    /// Members this device knows.
    Members {
        #[arg(long)]
        json: bool,
    },
    /// The pipeline: add, edit, close (won/lost) and list deals.
    Deal {
        #[command(subcommand)]
        command: crate::coach::DealCommand,
    },
    /// KARE split: effort (activities) beside results (won deals), for a rep or the team.
    Kare {
        #[arg(long)]
        rep: Option<String>,
        /// The whole team (managers).
        #[arg(long, conflicts_with = "rep")]
        team: bool,
        /// Weeks back (default 12).
        #[arg(long, default_value_t = 12)]
        weeks: i64,
        #[arg(long)]
        json: bool,
    },
    /// Every rep's numbers and ratios over 12 weeks beside the team median.
    Benchmarks {
        #[arg(long)]
        json: bool,
    },
    /// Development plans: skills linked to assessment criteria, goals, milestones.
    Dev {
        #[command(subcommand)]
        command: crate::coach::DevCommand,
    },
    /// The coaching habit: 1-on-1 cadence per rep and how useful each side rated them.
    Coaching {
        #[arg(long)]
        json: bool,
    },
}

/// Optional details of an activity.
#[derive(Debug, Args, Default)]
pub struct ActivityFields {
    /// How many (default 1).
    #[arg(long, allow_negative_numbers = true)]
    pub count: Option<i64>,
    /// KARE category: keep, attain, recapture, expand (or none to clear).
    #[arg(long)]
    pub kare: Option<String>,
    /// Account or contact.
    #[arg(long)]
    pub account: Option<String>,
    /// Outcome.
    #[arg(long)]
    pub outcome: Option<String>,
    /// A note.
    #[arg(long)]
    pub note: Option<String>,
    /// Deal id.
    #[arg(long)]
    pub deal: Option<String>,
    /// Minutes spent.
    #[arg(long, allow_negative_numbers = true)]
    pub duration: Option<i64>,
    /// When it happened (RFC 3339, default now).
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TargetCommand {
    /// Set a weekly target: standing from this week on, or for --week only.
    Set {
        /// Activity type key.
        #[arg(value_name = "TYPE")]
        kind: String,
        /// Count per week.
        #[arg(allow_negative_numbers = true)]
        count: i64,
        /// For this rep (managers).
        #[arg(long)]
        rep: Option<String>,
        /// Only this week (e.g. 2026-W49).
        #[arg(long)]
        week: Option<String>,
    },
    /// The targets that apply in a week.
    List {
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        week: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Add an action item.
    Add {
        /// What to do.
        text: String,
        /// Due date (YYYY-MM-DD).
        #[arg(long)]
        due: String,
        /// Who does it (default: me).
        #[arg(long)]
        owner: Option<String>,
        /// The rep it concerns (managers; default: the owner).
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Mark an action item done.
    Done {
        /// Action item id.
        id: String,
        /// What came of it.
        #[arg(long)]
        result: String,
    },
    /// Drop an action item.
    Drop {
        /// Action item id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Change an action item's text or due date.
    Edit {
        /// Action item id.
        id: String,
        #[arg(long)]
        text: Option<String>,
        #[arg(long)]
        due: Option<String>,
        /// Make it open again.
        #[arg(long)]
        reopen: bool,
    },
    /// List action items (open first).
    List {
        /// Only open, done or dropped.
        #[arg(long)]
        status: Option<String>,
        /// One rep's (managers).
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CommitCommand {
    /// Commit to a number of activities this week (or an outcome, without --type).
    Add {
        /// The commitment in your words, e.g. "6 meetings set".
        text: String,
        /// Activity type (leave out for an outcome commitment).
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// How many.
        #[arg(long, allow_negative_numbers = true)]
        count: Option<i64>,
        /// Week (default this week).
        #[arg(long)]
        week: Option<String>,
        /// For this rep (managers).
        #[arg(long)]
        rep: Option<String>,
    },
    /// A week's commitments and whether they are kept.
    List {
        #[arg(long)]
        week: Option<String>,
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MeetingCommand {
    /// Open a meeting: prints its agenda, coaching questions and the items to reconcile.
    Open {
        /// Meeting type.
        #[arg(long = "type", default_value = "one-on-one")]
        kind: String,
        #[arg(long)]
        rep: Option<String>,
        /// Date (default today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Replace a meeting's shared notes.
    Notes {
        /// Meeting id.
        id: String,
        /// The notes.
        text: String,
    },
    /// An action item out of a meeting.
    Action {
        /// Meeting id.
        id: String,
        /// What to do.
        text: String,
        /// Due date.
        #[arg(long)]
        due: String,
        /// Owner (default: the rep).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Rate a meeting 1 (not useful) – 5 (very useful): the rep (with an optional
    /// comment), or the manager's own rating.
    Rate {
        /// Meeting id.
        id: String,
        /// 1–5.
        rating: i64,
        /// The rep's comment.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Meetings with a rep.
    List {
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Team settings and activity catalog.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Change team settings (managers).
    Set {
        #[arg(long)]
        name: Option<String>,
        /// IANA time zone.
        #[arg(long)]
        tz: Option<String>,
        /// mon … sun.
        #[arg(long)]
        week_start: Option<String>,
        /// Comma-separated working days, e.g. mon,tue,wed,thu.
        #[arg(long)]
        working_days: Option<String>,
        /// How numbers and dates are written, e.g. de-DE ("" for each device's own).
        #[arg(long)]
        locale: Option<String>,
        /// The currency of deal amounts, e.g. EUR.
        #[arg(long)]
        currency: Option<String>,
    },
    /// Set warning-sign thresholds (managers), e.g. silence_days=2 activity_drop_pct=25.
    Thresholds {
        /// key=value pairs; keys: activity_drop_pct, missed_weeks, missed_window, silence_days,
        /// conversion_drop_pct, win_rate_drop_pts, cycle_rise_pct, cadence_days.
        pairs: Vec<String>,
    },
    /// Show or change the team's agenda for a meeting type (managers change it).
    Agenda {
        /// one-on-one, deal-review, pipeline-review, forecast-review, weekly-scrum.
        kind: String,
        /// Agenda item, repeatable (replaces the agenda).
        #[arg(long = "item")]
        items: Vec<String>,
        /// Coaching question, repeatable.
        #[arg(long = "question")]
        questions: Vec<String>,
        /// Back to the default agenda.
        #[arg(long, conflicts_with_all = ["items", "questions"])]
        reset: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show or change the criteria of an interaction type's assessment map (may be a new type).
    Criteria {
        /// discovery-call, demo, negotiation, one-on-one, or the team's own.
        interaction: String,
        /// The criteria (replace the map), e.g. opener reason-for-call next-step.
        criteria: Vec<String>,
        /// Back to the default (or remove a team's own type).
        #[arg(long, conflicts_with = "criteria")]
        reset: bool,
    },
}

/// `kept quarantine …`.
#[derive(Debug, Subcommand)]
pub enum QuarantineCmd {
    /// Put a refused change back in the outbox (or apply set-aside pulled changes again); then run `kept sync`.
    Retry {
        /// Its number, from `kept quarantine`.
        id: i64,
    },
    /// Forget a set-aside change for good (the document on this device keeps what it holds).
    Discard {
        /// Its number, from `kept quarantine`.
        id: i64,
    },
    /// Write its bytes to a file (to send to support, or to another Automerge tool).
    Export {
        /// Its number, from `kept quarantine`.
        id: i64,
        /// The file to write.
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

/// `kept org …`.
#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Join every team of the organisation not held yet (read-only) and sync them all.
    Sync {
        /// A label for this device in each team.
        #[arg(long, default_value = "leader's device")]
        device: String,
        #[arg(long)]
        json: bool,
    },
    /// Where each team's read-only home is: any `kept --home DIR` command reads it (board, signs, week --rep …).
    Homes,
    /// Publish an assessment map to every team of the organisation (a leader; the next version).
    Publish {
        /// Interaction type key (discovery-call, or a new one).
        interaction: String,
        /// Its criteria keys, in order.
        criteria: Vec<String>,
    },
    /// Join the leadership team as its coachee from this team's home (a manager, with the leader's invite).
    Join {
        /// Relay address.
        url: String,
        /// The invite code from the leader.
        invite: String,
        /// A label for this device.
        #[arg(long, default_value = "kept cli")]
        device: String,
    },
    /// Adopt the organisation's published assessment maps into this team (a manager).
    Maps {
        #[arg(long)]
        json: bool,
    },
}

/// `kept calibrate …`.
#[derive(Subcommand, Debug)]
pub enum CalibrateCommand {
    /// Start a session on an assessment map (managers; in a leadership team, the leader).
    Start {
        /// What is assessed, in a few words.
        title: String,
        /// The assessment map's interaction type (discovery-call, demo, …).
        #[arg(long)]
        interaction: String,
        /// The interaction: a description, a transcript or a link.
        #[arg(long, default_value = "")]
        material: String,
        #[arg(long)]
        json: bool,
    },
    /// Every session: mine scored or not, who scored, and the spread once revealed.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Score a session blind: criterion=score pairs (0–4 or not-present … excellent).
    Score {
        /// Session id (or its start).
        session: String,
        scores: Vec<String>,
    },
    /// Reveal a session's scores to everyone (managers).
    Reveal {
        session: String,
        #[arg(long)]
        json: bool,
    },
    /// Record the agreed score after the discussion (managers).
    Agree {
        session: String,
        scores: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// A scorer's distance from the agreed scores over time.
    History {
        /// Whose (managers; default: me).
        #[arg(long)]
        rep: Option<String>,
        #[arg(long)]
        json: bool,
    },
}
