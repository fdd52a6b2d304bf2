//! The invented child-care providers behind every file, and how each one changes from load
//! to load.

use chrono::{Datelike, NaiveDate};

use super::SampleSpec;
use super::rng::Rng;

const FIRST: &[&str] = &[
    "Avery", "Blair", "Casey", "Dana", "Emery", "Finley", "Gray", "Harper", "Indigo", "Jules",
    "Kendall", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum",
];
const LAST: &[&str] = &[
    "Alder",
    "Birchwood",
    "Cobble",
    "Dunmore",
    "Elmsley",
    "Fernhill",
    "Glenrock",
    "Hollowell",
    "Ivywood",
    "Juniper",
    "Kestrel",
    "Larkspur",
    "Mossgrove",
    "Nettleby",
    "Orchardly",
    "Pinecrest",
    "Quillfeather",
    "Rowanby",
    "Sedgewick",
    "Thistlewood",
];
const BUSINESS: &[&str] = &[
    "Little Stars",
    "Bright Beginnings",
    "Sunny Days",
    "Tiny Tots",
    "Happy Hearts",
    "Busy Bees",
    "Rainbow Kids",
    "Growing Minds",
    "Kinder Care Cottage",
    "Small Wonders",
    "Playful Pals",
    "Acorn Academy",
    "Blue Sky",
    "Learning Tree",
    "Giggles & Grins",
];
const STREETS: &[&str] = &[
    "SAMPLE ST",
    "EXAMPLE AVE",
    "MAPLE DR",
    "OAK LN",
    "CEDAR WAY",
    "PINE RD",
    "ELM BLVD",
    "WILLOW CT",
    "ASPEN PKWY",
    "SPRUCE PL",
];

/// The three state agencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agency {
    Nevada,
    Oklahoma,
    Texas,
}

impl Agency {
    pub const ALL: [Agency; 3] = [Agency::Nevada, Agency::Oklahoma, Agency::Texas];

    pub fn code(self) -> &'static str {
        match self {
            Agency::Nevada => "NV",
            Agency::Oklahoma => "OK",
            Agency::Texas => "TX",
        }
    }

    fn area_codes(self) -> &'static [u16] {
        match self {
            Agency::Nevada => &[702, 775],
            Agency::Oklahoma => &[405, 918],
            Agency::Texas => &[512, 214, 713],
        }
    }

    fn cities(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            Agency::Nevada => &[
                ("LAS VEGAS", "CLARK", "891"),
                ("RENO", "WASHOE", "895"),
                ("HENDERSON", "CLARK", "890"),
            ],
            Agency::Oklahoma => &[
                ("OKLAHOMA CITY", "OKLAHOMA", "731"),
                ("TULSA", "TULSA", "741"),
                ("NORMAN", "CLEVELAND", "730"),
            ],
            Agency::Texas => &[
                ("AUSTIN", "TRAVIS", "787"),
                ("DALLAS", "DALLAS", "752"),
                ("HOUSTON", "HARRIS", "770"),
            ],
        }
    }
}

/// What changes about a provider at one load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Capacity(i64),
    Status,
    Phone(u16),
    Address(u32),
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub id: usize,
    pub agency: Agency,
    pub business: String,
    pub first: String,
    pub last: String,
    pub area: u16,
    pub line: u16,
    pub street_no: u32,
    pub street: String,
    pub suite: Option<u16>,
    pub city: String,
    pub county: String,
    pub zip: String,
    pub capacity: i64,
    pub license: u32,
    pub issued: NaiveDate,
    pub kind: usize,
    /// The first load the provider is in.
    pub appears: usize,
    /// The load from which it is gone.
    pub deleted: Option<usize>,
    pub change: Option<(usize, Change)>,
    /// Whether the provider is also a Salesforce lead.
    pub in_salesforce: bool,
}

impl Provider {
    pub fn present(&self, load: usize) -> bool {
        self.appears <= load && self.deleted.is_none_or(|d| load < d)
    }

    fn changed(&self, load: usize) -> Option<Change> {
        self.change.filter(|(at, _)| load >= *at).map(|(_, c)| c)
    }

    pub fn capacity_at(&self, load: usize) -> i64 {
        match self.changed(load) {
            Some(Change::Capacity(c)) => c,
            _ => self.capacity,
        }
    }

    pub fn active_at(&self, load: usize) -> bool {
        !matches!(self.changed(load), Some(Change::Status))
    }

    pub fn phone_at(&self, load: usize) -> (u16, u16) {
        match self.changed(load) {
            Some(Change::Phone(line)) => (self.area, line),
            _ => (self.area, self.line),
        }
    }

    pub fn street_no_at(&self, load: usize) -> u32 {
        match self.changed(load) {
            Some(Change::Address(n)) => n,
            _ => self.street_no,
        }
    }

    pub fn phone_digits(&self, load: usize) -> String {
        let (a, l) = self.phone_at(load);
        format!("{a}555{l:04}")
    }

    /// Whether the provider had a capacity change exactly at `load`.
    pub fn capacity_changed_at(&self, load: usize) -> bool {
        matches!(self.change, Some((at, Change::Capacity(_))) if at == load)
            && self.present(load)
            && self.present(load.saturating_sub(1))
    }

    pub fn email(&self) -> String {
        format!(
            "{}.{}{}@example.com",
            self.first.to_lowercase(),
            self.last.to_lowercase(),
            self.id
        )
    }
}

/// Every provider of every agency.
#[derive(Debug, Clone)]
pub struct World {
    pub providers: Vec<Provider>,
    pub state_loads: usize,
}

pub fn state_load_date(load: usize) -> NaiveDate {
    let base = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default();
    base.checked_add_months(chrono::Months::new(load as u32))
        .unwrap_or(base)
}

/// The file-name stamp of a monthly state load.
pub fn state_load_stamp(load: usize) -> String {
    format!("{}T06-00-00", state_load_date(load))
}

impl World {
    pub fn new(spec: &SampleSpec) -> Self {
        let mut providers: Vec<Provider> = Vec::new();
        for agency in Agency::ALL {
            let mut rng = Rng::stream(spec.seed, agency.code());
            let arrivals = (spec.rows / 10).max(1) * spec.state_loads.saturating_sub(1);
            let start = providers.len();
            for i in 0..spec.rows + arrivals {
                let (city, county, zip3) = *rng.pick(agency.cities());
                let issued = NaiveDate::from_ymd_opt(
                    rng.range(1994, 2023) as i32,
                    rng.range(1, 12) as u32,
                    rng.range(1, 28) as u32,
                )
                .unwrap_or_default();
                let appears = if i < spec.rows {
                    0
                } else {
                    1 + (i - spec.rows) % spec.state_loads.saturating_sub(1).max(1)
                };
                let mut p = Provider {
                    id: providers.len() + 1,
                    agency,
                    business: format!(
                        "{} {}",
                        rng.pick(BUSINESS),
                        rng.pick(&[
                            "Daycare",
                            "Learning Center",
                            "Child Care",
                            "Preschool",
                            "Academy"
                        ])
                    ),
                    first: rng.pick(FIRST).to_string(),
                    last: rng.pick(LAST).to_string(),
                    area: *rng.pick(agency.area_codes()),
                    line: (rng.below(9000) + 1000) as u16,
                    street_no: rng.range(100, 9999) as u32,
                    street: rng.pick(STREETS).to_string(),
                    suite: rng.chance(12).then(|| rng.range(100, 400) as u16),
                    city: city.to_string(),
                    county: county.to_string(),
                    zip: format!("{zip3}{:02}", rng.below(100)),
                    capacity: rng.range(6, 180),
                    // Unique per provider: licence numbers are the files' keys.
                    license: (providers.len() as u32 + 1) * 3 + rng.below(3) as u32,
                    issued,
                    kind: rng.below(3),
                    appears,
                    deleted: None,
                    change: None,
                    in_salesforce: rng.chance(45),
                };
                if appears == 0 && spec.state_loads > 1 && rng.chance(5) {
                    p.deleted = Some(1 + rng.below(spec.state_loads - 1));
                }
                if spec.state_loads > 1 && rng.chance(15) {
                    let at = 1 + rng.below(spec.state_loads - 1);
                    let change = match rng.below(4) {
                        0 => Change::Capacity(p.capacity + rng.range(1, 20)),
                        1 => Change::Status,
                        2 => Change::Phone((rng.below(9000) + 1000) as u16),
                        _ => Change::Address(rng.range(100, 9999) as u32),
                    };
                    p.change = Some((at.max(p.appears + 1).min(spec.state_loads - 1), change));
                }
                // A few numbers ring at several addresses (a chain's central line).
                if i > 0 && rng.chance(4) {
                    let prev = &providers[providers.len() - 1];
                    if prev.agency == agency {
                        p.area = prev.area;
                        p.line = prev.line;
                    }
                }
                providers.push(p);
            }
            // Some Texas operators also hold a Nevada licence: same business, phone, address.
            if agency == Agency::Texas {
                let nevada: Vec<Provider> = providers
                    .iter()
                    .filter(|p| p.agency == Agency::Nevada && p.appears == 0)
                    .cloned()
                    .collect();
                for (k, slot) in (start..providers.len()).enumerate() {
                    if k % 17 == 3
                        && let Some(src) = nevada.get(k % nevada.len().max(1))
                    {
                        let p = &mut providers[slot];
                        p.business = src.business.clone();
                        p.area = src.area;
                        p.line = src.line;
                        p.street_no = src.street_no;
                        p.street = src.street.clone();
                    }
                }
            }
        }
        World {
            providers,
            state_loads: spec.state_loads,
        }
    }

    pub fn of(&self, agency: Agency) -> impl Iterator<Item = &Provider> {
        self.providers.iter().filter(move |p| p.agency == agency)
    }
}

/// `M/D/YY`, as the agencies print dates.
pub fn short_date(d: NaiveDate) -> String {
    format!("{}/{}/{:02}", d.month(), d.day(), d.year() % 100)
}
