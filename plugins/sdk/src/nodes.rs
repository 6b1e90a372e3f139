//! Kratos UI nodes. The host adds its own (`csrf_token`, the traits) and serialises all of
//! them as Kratos does; a method contributes inputs, texts and images in its own group:
//!
//! ```ignore
//! vec![
//!     UiNode::input("pin", input("pin", "password").required().one_time_code())
//!         .label(info(1070001, "Password")),
//!     submit("pin", "method", "pin", info(1070003, "Save")),
//! ]
//! ```

use crate::types::{
    ImageAttributes, InputAttributes, NodeAttributes, TextAttributes, UiNode, UiText,
};

/// An input of HTML type `type_` (`text`, `password`, `hidden`, `submit`…), empty, optional.
pub fn input(name: &str, type_: &str) -> InputAttributes {
    InputAttributes {
        name: name.into(),
        type_: type_.into(),
        value_json: None,
        required: false,
        disabled: false,
        autocomplete: None,
        pattern: None,
        maxlength: None,
    }
}

impl InputAttributes {
    /// The input's value, a string as Kratos' string inputs carry.
    pub fn value(mut self, value: &str) -> InputAttributes {
        self.value_json = Some(serde_json::Value::from(value).to_string());
        self
    }

    pub fn required(mut self) -> InputAttributes {
        self.required = true;
        self
    }

    pub fn autocomplete(mut self, hint: &str) -> InputAttributes {
        self.autocomplete = Some(hint.into());
        self
    }

    /// Marks a code input for password managers and phones, and keeps the host from echoing a
    /// rejected code back into the form.
    pub fn one_time_code(self) -> InputAttributes {
        self.autocomplete("one-time-code")
    }

    /// An HTML `pattern` the browser checks before submitting (the plugin checks again).
    pub fn pattern(mut self, regex: &str) -> InputAttributes {
        self.pattern = Some(regex.into());
        self
    }

    pub fn maxlength(mut self, max: u32) -> InputAttributes {
        self.maxlength = Some(max);
        self
    }
}

impl UiNode {
    /// An input node in `group`, without label.
    pub fn input(group: &str, attributes: InputAttributes) -> UiNode {
        UiNode::new(group, NodeAttributes::Input(attributes))
    }

    /// A text node: something to show, not to submit (a secret to type into an app, codes).
    pub fn text(group: &str, id: &str, text: UiText) -> UiNode {
        UiNode::new(
            group,
            NodeAttributes::Text(TextAttributes {
                id: id.into(),
                text,
            }),
        )
    }

    /// An image node, usually a `data:` URL.
    pub fn img(group: &str, id: &str, src: String, width: u32, height: u32) -> UiNode {
        UiNode::new(
            group,
            NodeAttributes::Img(ImageAttributes {
                id: id.into(),
                src,
                width,
                height,
            }),
        )
    }

    fn new(group: &str, attributes: NodeAttributes) -> UiNode {
        UiNode {
            group: group.into(),
            attributes,
            messages: vec![],
            label: None,
        }
    }

    /// The node's label (`meta.label`), usually an info message from Kratos' catalogue.
    pub fn label(mut self, label: UiText) -> UiNode {
        self.label = Some(label);
        self
    }
}

/// A submit button. Kratos' method buttons are `name="method"` with the method id as value;
/// action buttons (`totp_unlink`) carry `"true"`.
pub fn submit(group: &str, name: &str, value: &str, label: UiText) -> UiNode {
    UiNode::input(group, input(name, "submit").value(value)).label(label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::info;

    #[test]
    fn builds_what_it_says() {
        let pin = input("pin", "password")
            .required()
            .one_time_code()
            .pattern("[0-9]*")
            .maxlength(12);
        assert!(pin.required && pin.value_json.is_none());
        assert_eq!(pin.autocomplete.as_deref(), Some("one-time-code"));
        assert_eq!(
            (pin.pattern.as_deref(), pin.maxlength),
            (Some("[0-9]*"), Some(12))
        );
        let button = submit("pin", "method", "pin", info(1070003, "Save"));
        let NodeAttributes::Input(a) = &button.attributes else {
            panic!("an input")
        };
        assert_eq!(
            (a.type_.as_str(), a.value_json.as_deref()),
            ("submit", Some("\"pin\""))
        );
        assert_eq!(button.label.as_ref().map(|l| l.id), Some(1070003));
        assert_eq!(button.group, "pin");
    }
}
