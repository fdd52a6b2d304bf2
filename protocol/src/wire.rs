//! How messages travel between the page and the worker: JSON text for the structure, and
//! every binary body (a Parquet load, an archive) as an `ArrayBuffer` beside it, moved rather
//! than copied, where JSON would carry it as base64 a third larger and encode it twice.
//!
//! In the JSON a body sent this way is the number of its buffer. Outside `encode` and
//! `decode` (a workspace saved in the browser's storage, say) bodies stay base64 text.

use std::cell::RefCell;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::{self, DeserializeOwned, Visitor};
use serde::{Deserializer, Serialize, Serializer};

thread_local! {
    /// While `encode` runs: the buffers taken out of the message so far.
    static OUTGOING: RefCell<Option<Vec<Vec<u8>>>> = const { RefCell::new(None) };
    /// While `decode` runs: the buffers that came with the message, each taken once.
    static INCOMING: RefCell<Option<Vec<Option<Vec<u8>>>>> = const { RefCell::new(None) };
}

/// `value` as JSON text and the buffers its binary bodies became.
pub fn encode<T: Serialize>(value: &T) -> (String, Vec<Vec<u8>>) {
    OUTGOING.with(|o| *o.borrow_mut() = Some(Vec::new()));
    let text = serde_json::to_string(value).unwrap_or_default();
    let parts = OUTGOING.with(|o| o.borrow_mut().take()).unwrap_or_default();
    (text, parts)
}

/// The message `text` and its `parts` describe.
pub fn decode<T: DeserializeOwned>(text: &str, parts: Vec<Vec<u8>>) -> Result<T, String> {
    INCOMING.with(|i| *i.borrow_mut() = Some(parts.into_iter().map(Some).collect()));
    let value = serde_json::from_str(text).map_err(|e| e.to_string());
    INCOMING.with(|i| *i.borrow_mut() = None);
    value
}

/// Serde for a binary body: a buffer's number inside `encode`, base64 text elsewhere.
pub(crate) mod bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let part = OUTGOING.with(|o| {
            o.borrow_mut().as_mut().map(|parts| {
                parts.push(bytes.to_vec());
                parts.len() - 1
            })
        });
        match part {
            Some(n) => s.serialize_u64(n as u64),
            None => s.serialize_str(&STANDARD.encode(bytes)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_any(BytesVisitor)
    }

    struct BytesVisitor;

    impl Visitor<'_> for BytesVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("base64 text or the number of a buffer sent with the message")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
            STANDARD.decode(text).map_err(E::custom)
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Vec<u8>, E> {
            INCOMING
                .with(|i| {
                    i.borrow_mut()
                        .as_mut()
                        .and_then(|parts| parts.get_mut(n as usize))
                        .and_then(Option::take)
                })
                .ok_or_else(|| E::custom(format!("buffer {n} did not come with the message")))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Ask, Body, Change, Files, Request, Response};

    #[test]
    fn binary_bodies_travel_beside_the_text_and_come_back_whole() {
        let parquet = vec![b'P', b'A', b'R', b'1', 0, 0xff];
        let ask = Ask {
            id: 3,
            request: Request::Edit {
                changes: vec![
                    Change::Put {
                        path: "models/a.sql".into(),
                        body: Body::from("select 1"),
                    },
                    Change::Put {
                        path: "data/s/t/2024-05-01.parquet".into(),
                        body: Body::from_bytes(parquet.clone()),
                    },
                ],
            },
        };
        let (text, parts) = encode(&ask);
        assert_eq!(parts, vec![parquet.clone()]);
        assert!(text.contains(r#"{"base64":0}"#), "{text}");
        assert!(text.contains(r#""select 1""#), "{text}");
        let back: Ask = decode(&text, parts).unwrap();
        let Request::Edit { changes } = back.request else {
            panic!()
        };
        assert_eq!(
            changes[1],
            Change::Put {
                path: "data/s/t/2024-05-01.parquet".into(),
                body: Body::from_bytes(parquet)
            }
        );
    }

    #[test]
    fn outside_a_message_bodies_stay_base64_and_a_missing_buffer_is_an_error() {
        let mut files = Files::new();
        files.insert("x.bin".into(), Body::from_bytes(vec![0xff]));
        assert_eq!(
            serde_json::to_string(&files).unwrap(),
            r#"{"x.bin":{"base64":"/w=="}}"#
        );
        let zipped = r#"{"Zipped":{"zip":0}}"#;
        assert!(decode::<Response>(zipped, Vec::new()).is_err());
        let Response::Zipped { zip } = decode::<Response>(zipped, vec![vec![1, 2]]).unwrap() else {
            panic!()
        };
        assert_eq!(zip, vec![1, 2]);
    }
}
