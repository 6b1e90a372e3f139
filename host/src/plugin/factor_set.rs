//! The loaded factors, as the engine asks for them: by method id, or by the flows they join.

use super::factor::Factor;
use super::model::FactorRole;
use crate::model::FlowKind;
use std::sync::Arc;

/// The loaded factor plugins, in configuration order (which is also the order their nodes
/// appear in a flow).
pub struct Factors {
    pub all: Vec<Arc<Factor>>,
}

impl Factors {
    pub fn get(&self, id: &str) -> Option<Arc<Factor>> {
        self.all.iter().find(|f| f.id() == id).cloned()
    }

    pub fn for_flow(&self, kind: FlowKind, role: Option<FactorRole>) -> Vec<Arc<Factor>> {
        self.all
            .iter()
            .filter(|f| f.joins(kind) && role.is_none_or(|r| f.info.role == r))
            .cloned()
            .collect()
    }
}
