//! Typed rule ids and the one way to make a finding of a rule: `check`, `inspect` and `trace` name
//! rules by `RuleId`, never by a quoted string, and take each rule's name, default severity and
//! help from its documentation (`rules/rules.toml`, `rules/meta.toml`, loaded by
//! `catalog::rules`). This module decides nothing about hazards.

use crate::catalog::rules::{self as docs, RuleDoc};
use crate::diagnostic::{Finding, Location, Related, Severity};
use std::fmt;

/// Every rule forklint reports. Adding one: its documentation in `rules/rules.toml` (or
/// `rules/meta.toml`), a variant here, fixtures that fire it and stay silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    /// `unused-suppression`
    FL000,
    /// `thread-before-fork`
    FL001,
    /// `connection-before-fork`
    FL002,
    /// `objc-before-fork`
    FL003,
    /// `lock-across-fork`
    FL004,
    /// `unsafe-call-in-child`
    FL005,
    /// `exit-in-child`
    FL006,
    /// `fd-shared-across-fork`
    FL007,
    /// `forced-fork`
    FL008,
    /// `invalid-suppression`
    FL900,
    /// `suppression-without-reason`
    FL901,
}

impl RuleId {
    pub const ALL: [RuleId; 11] = [
        RuleId::FL000,
        RuleId::FL001,
        RuleId::FL002,
        RuleId::FL003,
        RuleId::FL004,
        RuleId::FL005,
        RuleId::FL006,
        RuleId::FL007,
        RuleId::FL008,
        RuleId::FL900,
        RuleId::FL901,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::FL000 => "FL000",
            RuleId::FL001 => "FL001",
            RuleId::FL002 => "FL002",
            RuleId::FL003 => "FL003",
            RuleId::FL004 => "FL004",
            RuleId::FL005 => "FL005",
            RuleId::FL006 => "FL006",
            RuleId::FL007 => "FL007",
            RuleId::FL008 => "FL008",
            RuleId::FL900 => "FL900",
            RuleId::FL901 => "FL901",
        }
    }

    /// A rule by id (`FL001`, any case) or name (`thread-before-fork`).
    pub fn parse(key: &str) -> Option<RuleId> {
        let doc = docs::find(key)?;
        RuleId::ALL.into_iter().find(|r| r.as_str() == doc.id)
    }

    /// The rule's documentation; every variant has one (a test checks it).
    pub fn doc(self) -> &'static RuleDoc {
        docs::get(self.as_str())
    }

    pub fn default_severity(self) -> Severity {
        self.doc().severity
    }

    /// A finding of this rule with the documented name, severity and help, no location yet.
    pub fn finding(self, message: String) -> Finding {
        let doc = self.doc();
        Finding {
            rule: doc.id.clone(),
            name: doc.name.clone(),
            severity: doc.severity,
            location: None,
            message,
            related: Vec::new(),
            trace: Vec::new(),
            help: doc.help.clone(),
        }
    }

    /// A finding of this rule at a place in a source file.
    pub fn at(self, location: Location, message: String) -> Finding {
        Finding {
            location: Some(location),
            ..self.finding(message)
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Catalogues name rules by id or name; an unknown one is an error when the catalogue loads.
impl<'de> serde::Deserialize<'de> for RuleId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = String::deserialize(d)?;
        RuleId::parse(&key).ok_or_else(|| serde::de::Error::custom(format!("unknown rule `{key}`")))
    }
}

impl PartialEq<RuleId> for String {
    fn eq(&self, other: &RuleId) -> bool {
        self == other.as_str()
    }
}

/// What a finding adds to the rule's defaults: a severity other than the rule's, places that
/// explain it, the chain of calls, a help text fitted to the case.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub severity: Option<Severity>,
    pub related: Vec<Related>,
    pub trace: Vec<Related>,
    pub help: Option<String>,
}

impl Extra {
    pub fn related(related: Vec<Related>) -> Self {
        Extra {
            related,
            ..Default::default()
        }
    }

    pub fn trace(mut self, trace: Vec<Related>) -> Self {
        self.trace = trace;
        self
    }

    pub fn severity(mut self, severity: Option<Severity>) -> Self {
        self.severity = severity;
        self
    }

    pub fn help(mut self, help: String) -> Self {
        self.help = Some(help);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_is_documented_and_every_documented_rule_has_an_id() {
        for id in RuleId::ALL {
            assert_eq!(id.doc().id, id.as_str());
            assert_eq!(RuleId::parse(&id.doc().name), Some(id));
        }
        for doc in docs::every() {
            assert!(RuleId::parse(&doc.id).is_some(), "{} has no RuleId", doc.id);
        }
        assert_eq!(RuleId::parse("fl008"), Some(RuleId::FL008));
        assert_eq!(RuleId::parse("FL999"), None);
    }

    #[test]
    fn a_finding_carries_the_documented_defaults() {
        let f = RuleId::FL006.finding("m".into());
        assert_eq!(f.rule, "FL006");
        assert_eq!(f.name, "exit-in-child");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.location.is_none());
    }
}
