//! The three state licensing files, each in its agency's own layout.

use super::csv_writer::{Cell, write};
use super::providers::{Agency, Provider, World, short_date};

const NEVADA: &[&str] = &[
    "Name",
    "Credential Type",
    "Credential Number",
    "Status",
    "Expiration Date",
    "First Issue Date",
    "Disciplinary Action",
    "Address",
    "State",
    "County",
    "Phone",
    "Primary Contact Name",
    "Primary Contact Role",
];
const OKLAHOMA: &[&str] = &[
    "Type License",
    "Company",
    "Accepts Subsidy",
    "Year Round",
    "Daytime Hours",
    "Star Level",
    "Mon",
    "Tues",
    "Wed",
    "Thurs",
    "Friday",
    "Saturday",
    "Sunday",
    "Primary Caregiver",
    "Phone",
    "Email",
    "Address1",
    "Address2",
    "City",
    "State",
    "Zip",
    "Subsidy Contract Number",
    "Total Cap",
    "Ages Accepted 1",
    "AA2",
    "AA3",
    "AA4",
    "License Monitoring Since",
    "School Year Only",
    "Evening Hours",
];
const TEXAS: &[&str] = &[
    "Operation #",
    "Agency Number",
    "Operation/Caregiver Name",
    "Address",
    "City",
    "State",
    "Zip",
    "County",
    "Phone",
    "Type",
    "Status",
    "Issue Date",
    "Capacity",
    "Email Address",
    "Facility ID",
    "Monitoring Frequency",
    "Infant",
    "Toddler",
    "Preschool",
    "School",
];
const AGES: &[&str] = &[
    "Infants (0-11 months)",
    "Toddlers (12-23 months; 1yr.)",
    "Preschool (24-48 months; 2-4 yrs.)",
    "School-age (5 years-older)",
];

/// `(table, bytes)` for each state file at `load`.
pub fn files(world: &World, load: usize) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("source1_file", nevada(world, load)),
        ("source2_file", oklahoma(world, load)),
        ("source3_file", texas(world, load)),
    ]
}

fn present(world: &World, agency: Agency, load: usize) -> Vec<&Provider> {
    world.of(agency).filter(|p| p.present(load)).collect()
}

fn yes_no(b: bool) -> Cell {
    Cell::from(if b { "Y" } else { "N" })
}

fn nevada(world: &World, load: usize) -> Vec<u8> {
    let rows: Vec<Vec<Cell>> = present(world, Agency::Nevada, load)
        .into_iter()
        .map(|p| {
            let (area, line) = p.phone_at(load);
            let name = if p.id % 5 == 0 {
                format!("{}, LLC", p.business.to_uppercase())
            } else {
                p.business.to_uppercase()
            };
            let kind = ["CENTER", "FAMILY CARE", "GROUP CARE"][p.kind];
            let kind = if p.id % 9 == 0 {
                format!("{kind} (PROVISIONAL)")
            } else {
                kind.to_string()
            };
            let suite = p.suite.map(|s| format!(", STE {s}")).unwrap_or_default();
            let contact = match p.id % 6 {
                0 => format!("{} {} & {} {}", p.first, p.last, "JORDAN", p.last),
                1 => format!("{} {} AND {} {}", p.first, p.last, "RILEY", p.last),
                _ => format!("{} {}", p.first, p.last),
            };
            let expires = p
                .issued
                .checked_add_months(chrono::Months::new(12 * (1 + (p.id % 4) as u32)))
                .unwrap_or(p.issued);
            vec![
                Cell::from(name),
                Cell::from(kind),
                Cell::from(format!("{:03}-{:02}", p.license, p.issued.format("%y"))),
                Cell::from(if p.active_at(load) {
                    "ACTIVE"
                } else {
                    "CLOSED"
                }),
                Cell::from(short_date(expires)),
                Cell::from(short_date(p.issued)),
                yes_no(p.id % 11 == 0),
                Cell::from(format!(
                    "{} E {}{suite} {}, NV {}",
                    p.street_no_at(load),
                    p.street,
                    p.city,
                    p.zip
                )),
                Cell::from("NV"),
                Cell::from(p.county.clone()),
                Cell::from(format!("{area}-555-{line:04}")),
                Cell::from(contact.to_uppercase()),
                Cell::from(["Owner", "Director", "Person in Charge", "Other"][p.id % 4]),
            ]
        })
        .collect();
    write(NEVADA, &rows, false)
}

fn oklahoma(world: &World, load: usize) -> Vec<u8> {
    let rows: Vec<Vec<Cell>> = present(world, Agency::Oklahoma, load)
        .into_iter()
        .map(|p| {
            let (area, line) = p.phone_at(load);
            let kind = [
                "CHILD CARE CENTER",
                "CHILD CARE FAMILY",
                "LARGE CHILD CARE FAMILY",
            ][p.kind];
            let flag = |on: bool, word: &str| if on { Cell::from(word) } else { Cell::Missing };
            let hours = |open: bool| Cell::from(if open { "7:00AM - 5:30PM" } else { "CLOSED" });
            let ages = 1 + p.id % 4;
            let age = |i: usize| {
                if i < ages {
                    Cell::from(AGES[i])
                } else {
                    Cell::Missing
                }
            };
            let email = if p.id % 3 == 0 {
                p.email().to_uppercase()
            } else {
                let e = p.email();
                let mut c = e.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or(e)
            };
            vec![
                Cell::from(format!("{kind} - K{:09}", 820_000_000 + p.license)),
                Cell::from(format!(
                    "{}, {} DBA {}, LLC",
                    p.last.to_uppercase(),
                    p.first.to_uppercase(),
                    p.business.to_uppercase()
                )),
                flag(p.id % 2 == 0, "Accepts Subsidy"),
                flag(p.id % 3 != 0, "Year Round"),
                flag(true, "Daytime Hours"),
                Cell::from(format!("{} Star Level Program", 1 + p.id % 3)),
                hours(true),
                hours(true),
                hours(true),
                hours(true),
                hours(p.id % 7 != 0),
                hours(p.id % 5 == 0),
                hours(false),
                Cell::from(format!(
                    "{} {}\n{}",
                    p.first,
                    p.last,
                    if p.id % 2 == 0 {
                        "Primary Caregiver"
                    } else {
                        "Director"
                    }
                )),
                Cell::from(format!("({area}) 555-{line:04}")),
                Cell::from(email),
                Cell::from(format!("{} {}", p.street_no_at(load), p.street)),
                if p.id % 4 == 0 {
                    Cell::Blank
                } else {
                    Cell::Missing
                },
                Cell::from(p.city.clone()),
                Cell::from("OK"),
                Cell::from(p.zip.clone()),
                Cell::from(if p.id % 2 == 0 {
                    format!("Subsidy Contract Number: {}", 10_000 + p.license % 90_000)
                } else {
                    "Subsidy Contract Number: N/A".to_string()
                }),
                Cell::from(p.capacity_at(load).to_string()),
                age(0),
                age(1),
                age(2),
                age(3),
                Cell::from(format!("Monitoring since {}", p.issued)),
                // The agency's export shifts these two columns: they hold other flags' words.
                flag(p.id % 3 == 0, "Year Round"),
                flag(p.id % 4 == 1, "Accepts Subsidy"),
            ]
        })
        .collect();
    write(OKLAHOMA, &rows, true)
}

/// The Texas providers whose rows carry the file's quirks, the same ones in every load.
pub struct TexasQuirks {
    pub quoted_name: usize,
    pub stray_byte: usize,
    pub blank_capacity: usize,
}

pub fn texas_quirks(world: &World) -> TexasQuirks {
    let first = world.of(Agency::Texas).map(|p| p.id).next().unwrap_or(0);
    TexasQuirks {
        quoted_name: first + 1,
        stray_byte: first + 2,
        blank_capacity: first + 3,
    }
}

fn texas(world: &World, load: usize) -> Vec<u8> {
    let quirks = texas_quirks(world);
    let present = present(world, Agency::Texas, load);
    let rows: Vec<Vec<Cell>> = present
        .iter()
        .map(|p| {
            let (area, line) = p.phone_at(load);
            let name = if p.id == quirks.quoted_name {
                format!("The \"{}\" Center", p.business)
            } else if p.id % 2 == 0 {
                p.business.to_uppercase()
            } else {
                p.business.clone()
            };
            let name = if p.id == quirks.stray_byte {
                let mut bytes = format!("{} Caf", p.business).into_bytes();
                bytes.push(0xE9);
                Cell::Bytes(bytes)
            } else {
                Cell::from(name)
            };
            let kind = [
                "Licensed Center - Child Care Program",
                "Licensed Child-Care Home",
                "Registered Child-Care Home",
            ][p.kind];
            vec![
                Cell::from((100_000 + p.license).to_string()),
                Cell::Missing,
                name,
                Cell::from(format!(
                    "{} {}",
                    p.street_no_at(load),
                    p.street.to_lowercase()
                )),
                Cell::from(p.city.clone()),
                Cell::from("TX"),
                Cell::from(p.zip.clone()),
                Cell::from(p.county.clone()),
                Cell::from(format!("{area}-555-{line:04}")),
                Cell::from(kind),
                if p.active_at(load) {
                    Cell::from("Full Permit")
                } else {
                    Cell::Missing
                },
                Cell::from(short_date(p.issued)),
                if p.id == quirks.blank_capacity {
                    Cell::Missing
                } else {
                    Cell::from(p.capacity_at(load).to_string())
                },
                Cell::from(p.email()),
                Cell::from((500_000 + p.id).to_string()),
                Cell::Missing,
                yes_no(p.kind == 0 || p.id % 2 == 0),
                yes_no(p.id % 3 != 1),
                yes_no(true),
                yes_no(p.id % 4 == 0),
            ]
        })
        .collect();
    write(TEXAS, &rows, false)
}
