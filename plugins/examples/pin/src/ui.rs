//! The PIN method's nodes and messages. Kratos has no PIN method, so labels and errors that
//! its catalogue does not cover take ids from the method's own block
//! (`MessageIds::of("pin")`, 1532500000 to 1532500999), which no other method's messages use;
//! where Kratos has a message for the case (a missing field, "Save") its id is reused, so
//! localised UIs translate it.

use crate::METHOD;
use latchkey_plugin_sdk::messages::{self, MessageIds, error, info, text};
use latchkey_plugin_sdk::nodes::{input, submit};
use latchkey_plugin_sdk::types::{InputAttributes, MessageType, UiNode, UiText};
use serde_json::json;

pub use latchkey_plugin_sdk::messages::{generic, missing};

/// The PIN's own message ids: labels from 1, errors from 101.
pub const IDS: MessageIds = MessageIds::of(METHOD);
pub const LABEL: u32 = IDS.id(1);
pub const REMOVE: u32 = IDS.id(2);
pub const USE: u32 = IDS.id(3);
pub const NEW_LABEL: u32 = IDS.id(4);
pub const NO_PIN: u32 = IDS.id(101);
pub const BAD_FORMAT: u32 = IDS.id(102);
pub const WRONG: u32 = IDS.id(103);
pub const LOCKED: u32 = IDS.id(104);

/// The PIN input. `pattern` and `maxlength` let browsers check the PIN (and phones show a
/// keypad) before it is sent; the plugin checks again.
fn pin_input(autocomplete: &str) -> InputAttributes {
    input("pin", "password")
        .required()
        .autocomplete(autocomplete)
        .pattern("[0-9]*")
        .maxlength(crate::MAX_DIGITS as u32)
}

/// Settings without a PIN: choose one.
pub fn settings_set() -> Vec<UiNode> {
    vec![
        UiNode::input(METHOD, pin_input("new-password")).label(info(LABEL, "PIN")),
        submit(METHOD, "method", METHOD, info(1070003, "Save")),
    ]
}

/// Settings with a PIN: choose a new one (which also lifts a lock), or remove it.
pub fn settings_change() -> Vec<UiNode> {
    vec![
        UiNode::input(METHOD, pin_input("new-password")).label(info(NEW_LABEL, "New PIN")),
        submit(METHOD, "method", METHOD, info(1070003, "Save")),
        submit(METHOD, "pin_remove", "true", info(REMOVE, "Remove PIN")),
    ]
}

/// The second factor of a login (`aal=aal2`).
pub fn login() -> Vec<UiNode> {
    vec![
        UiNode::input(METHOD, pin_input("current-password")).label(info(LABEL, "PIN")),
        submit(METHOD, "method", METHOD, info(USE, "Use PIN")),
    ]
}

/// A login or a removal for an identity without a PIN.
pub fn no_pin() -> UiText {
    error(NO_PIN, "You have no PIN set up.")
}

pub fn bad_format(min: usize, max: usize) -> UiText {
    text(
        BAD_FORMAT,
        format!("The PIN must be {min} to {max} digits."),
        MessageType::Error,
        Some(json!({ "min_length": min, "max_length": max })),
    )
}

/// A wrong PIN that did not lock it (yet).
pub fn wrong_pin(attempts_left: u32) -> UiText {
    let attempts = if attempts_left == 1 {
        "attempt"
    } else {
        "attempts"
    };
    text(
        WRONG,
        format!("The PIN is not correct. {attempts_left} {attempts} left."),
        MessageType::Error,
        Some(json!({ "attempts_left": attempts_left })),
    )
}

/// Too many wrong PINs: every PIN is refused until `until` (Unix seconds).
pub fn locked(until: i64) -> UiText {
    messages::locked(LOCKED, "Too many wrong PINs: the PIN is locked", until)
}
