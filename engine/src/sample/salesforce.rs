//! The daily Salesforce lead extract: leads matched to licensed providers plus inbound
//! leads, with statuses that move from day to day.

use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike};

use super::SampleSpec;
use super::csv_writer::{Cell, write};
use super::providers::{Agency, World};
use super::rng::Rng;

const HEADERS: &[&str] = &[
    "Id",
    "IsDeleted",
    "LastName",
    "FirstName",
    "Title",
    "Company",
    "Street",
    "City",
    "State",
    "PostalCode",
    "Country",
    "Phone",
    "MobilePhone",
    "Email",
    "Website",
    "LeadSource",
    "Status",
    "IsConverted",
    "CreatedDate",
    "LastModifiedDate",
    "LastActivityDate",
    "LastViewedDate",
    "LastReferencedDate",
    "EmailBouncedReason",
    "EmailBouncedDate",
    "Outreach_Stage__c",
    "Current_Enrollment__c",
    "Capacity__c",
    "Lead_Source_Last_Updated__c",
    "Brightwheel_School_UUID__c",
];
const SOURCES: &[&str] = &[
    "TAM",
    "Web",
    "Proactive Trial",
    "Marketing Research",
    "List Purchase",
];
const STATUSES: &[&str] = &[
    "Working",
    "Assigned",
    "Recycled",
    "Connected",
    "Unqualified",
];
const STAGES: &[&str] = &[
    "Working",
    "Added to sequence",
    "Connected",
    "Recycled - Using Competitor",
    "Recycled - Neglected",
    "Unqualified - Enterprise",
];
const OTHER_STATES: &[&str] = &["California", "ON", "BC", "Other", "Florida", "WA"];

pub fn load_time(load: usize) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 5, 13)
        .unwrap_or_default()
        .and_hms_opt(7, 0, 0)
        .unwrap_or_default()
        + Duration::days(load as i64)
}

pub fn load_stamp(load: usize) -> String {
    load_time(load).format("%Y-%m-%dT%H-%M-%S").to_string()
}

/// Salesforce's export prints the hour without zero padding: `2024-05-16 7:04:11`.
fn sf_timestamp(t: NaiveDateTime) -> String {
    format!(
        "{} {}:{:02}:{:02}",
        t.format("%Y-%m-%d"),
        t.hour(),
        t.minute(),
        t.second()
    )
}

struct Lead {
    id: u64,
    first: String,
    last: String,
    company: String,
    street: String,
    city: String,
    state: String,
    postal: String,
    country: &'static str,
    phone: String,
    email: String,
    source: &'static str,
    created: NaiveDateTime,
    /// The load at which the lead first appears.
    appears: usize,
    deleted: Option<usize>,
    /// Status by load: changes at the loads listed.
    statuses: Vec<(usize, &'static str, NaiveDateTime)>,
    capacity: Option<i64>,
}

fn leads(world: &World, spec: &SampleSpec) -> Vec<Lead> {
    let mut rng = Rng::stream(spec.seed, "salesforce");
    let mut out = Vec::new();
    let last_state_load = world.state_loads.saturating_sub(1);
    let matched = world
        .providers
        .iter()
        .filter(|p| p.in_salesforce && p.present(last_state_load));
    let inbound = spec.rows.max(3);
    let mut next_id = 1_000_001u64;
    let mut add = |rng: &mut Rng, out: &mut Vec<Lead>, base: Option<&super::Provider>| {
        let id = next_id;
        next_id += 1 + rng.below(3) as u64;
        let appears = if rng.chance(80) {
            0
        } else {
            rng.below(spec.salesforce_loads.max(1))
        };
        let created = load_time(appears)
            - Duration::days(if appears == 0 { rng.range(1, 400) } else { 0 })
            - Duration::minutes(rng.range(5, 600));
        let first_status = *rng.pick(STATUSES);
        let mut statuses = vec![(0, first_status, created)];
        if spec.salesforce_loads > 1 && rng.chance(25) {
            let at = (1 + rng.below(spec.salesforce_loads - 1)).max(appears + 1);
            let when = load_time(at) - Duration::minutes(rng.range(30, 600));
            statuses.push((at, *rng.pick(STATUSES), when));
        }
        let (first, last, company, street, city, state, postal, country, phone, email) = match base
        {
            Some(p) => (
                p.first.clone(),
                p.last.clone(),
                if p.id % 4 == 0 {
                    format!("{}, Inc.", p.business)
                } else {
                    p.business.clone()
                },
                format!("{} {}", p.street_no, p.street),
                p.city.clone(),
                match (p.agency, p.id % 3) {
                    (Agency::Nevada, 0) => "Nevada".to_string(),
                    (Agency::Oklahoma, 0) => "Oklahoma".to_string(),
                    (Agency::Texas, 0) => "Texas".to_string(),
                    (a, _) => a.code().to_string(),
                },
                if p.id % 5 == 0 {
                    format!("{}-{:04}", p.zip, p.id % 10_000)
                } else {
                    p.zip.clone()
                },
                ["US", "United States", ""][p.id % 3],
                p.phone_digits(0),
                p.email(),
            ),
            None => {
                let st = rng.pick(OTHER_STATES).to_string();
                let canadian = st == "ON" || st == "BC";
                let n = rng.range(1, 500);
                (
                    ["Ms.", "A & B", "Jordan", "", "Riley"][rng.below(5)].to_string(),
                    format!("Inbound{n}"),
                    format!("Inbound Kids Club {n}"),
                    format!("{} Example Rd", rng.range(1, 999)),
                    "Springfield".to_string(),
                    st,
                    if canadian {
                        "A1B 2C3".to_string()
                    } else {
                        format!("{:05}", rng.range(10_000, 99_999))
                    },
                    if canadian { "Canada" } else { "US" },
                    format!(
                        "{}555{:04}",
                        rng.pick(&[206u16, 305, 415]),
                        rng.below(9000) + 1000
                    ),
                    format!("inbound{n}@example.org"),
                )
            }
        };
        let deleted = (appears == 0 && spec.salesforce_loads > 2 && rng.chance(4))
            .then(|| 1 + rng.below(spec.salesforce_loads - 1));
        out.push(Lead {
            id,
            first,
            last,
            company,
            street,
            city,
            state,
            postal,
            country,
            phone,
            email,
            source: {
                let choices: &[&'static str] = if base.is_some() {
                    &["TAM", "List Purchase", "Marketing Research"]
                } else {
                    SOURCES
                };
                choices[rng.below(choices.len())]
            },
            created,
            appears,
            deleted,
            statuses,
            capacity: base.filter(|_| rng.chance(30)).map(|p| p.capacity),
        });
    };
    for p in matched {
        add(&mut rng, &mut out, Some(p));
    }
    for _ in 0..inbound / 2 {
        add(&mut rng, &mut out, None);
    }
    out
}

pub fn file(world: &World, spec: &SampleSpec, load: usize) -> Vec<u8> {
    let all = leads(world, spec);
    let rows: Vec<Vec<Cell>> = all
        .iter()
        .filter(|l| l.appears <= load && l.deleted.is_none_or(|d| load < d))
        .map(|l| {
            let (status, modified) = l
                .statuses
                .iter()
                .rev()
                .find(|(at, _, _)| *at <= load)
                .map(|(_, s, t)| (*s, *t))
                .unwrap_or(("Working", l.created));
            let stage = match status {
                "Working" => "Working",
                "Connected" => "Connected",
                "Recycled" => STAGES[3 + (l.id % 2) as usize],
                "Unqualified" => "Unqualified - Enterprise",
                _ => {
                    if l.id % 2 == 0 {
                        "Added to sequence"
                    } else {
                        ""
                    }
                }
            };
            let opt = |s: String| {
                if s.is_empty() {
                    Cell::Missing
                } else {
                    Cell::from(s)
                }
            };
            vec![
                Cell::from(l.id.to_string()),
                Cell::from("FALSE"),
                Cell::from(l.last.clone()),
                opt(l.first.clone()),
                if l.id % 13 == 0 {
                    Cell::from("Director")
                } else {
                    Cell::Missing
                },
                Cell::from(l.company.clone()),
                Cell::from(l.street.clone()),
                Cell::from(l.city.clone()),
                Cell::from(l.state.clone()),
                Cell::from(l.postal.clone()),
                opt(l.country.to_string()),
                Cell::from(l.phone.clone()),
                if l.id % 3 == 0 {
                    Cell::from(l.phone.clone())
                } else {
                    Cell::Missing
                },
                Cell::from(l.email.clone()),
                if l.id % 10 == 0 {
                    Cell::from("www.example.com")
                } else {
                    Cell::Missing
                },
                Cell::from(l.source),
                Cell::from(status),
                Cell::from(if status == "Connected" && l.id % 4 == 0 {
                    "TRUE"
                } else {
                    "FALSE"
                }),
                Cell::from(sf_timestamp(l.created)),
                Cell::from(sf_timestamp(modified)),
                Cell::from(modified.date().to_string()),
                Cell::from(sf_timestamp(modified)),
                Cell::from(sf_timestamp(modified)),
                if l.id % 29 == 0 {
                    Cell::from("550 mailbox unavailable")
                } else {
                    Cell::Missing
                },
                if l.id % 29 == 0 {
                    Cell::from(sf_timestamp(l.created))
                } else {
                    Cell::Missing
                },
                opt(stage.to_string()),
                match l.capacity {
                    Some(c) if l.id % 2 == 0 => Cell::from((c / 2).to_string()),
                    _ => Cell::Missing,
                },
                match l.capacity {
                    Some(c) => Cell::from(c.to_string()),
                    None => Cell::Missing,
                },
                Cell::from(l.created.date().to_string()),
                if status == "Connected" {
                    Cell::from(format!("00000000-0000-4000-8000-{:012}", l.id))
                } else {
                    Cell::Missing
                },
            ]
        })
        .collect();
    write(HEADERS, &rows, false)
}
