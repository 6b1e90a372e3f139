//! Kratos UI nodes as factors render them; [`crate::ui`] turns them into Kratos JSON.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Info,
    Error,
    Success,
}

/// A Kratos `uiText`: an id from Kratos' catalogue, the English text, and the JSON object of
/// the values the text interpolates.
#[derive(Debug, Clone, PartialEq)]
pub struct UiText {
    pub id: u32,
    pub text: String,
    pub type_: MessageType,
    pub context_json: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputAttributes {
    pub name: String,
    /// The HTML input type.
    pub type_: String,
    pub value_json: Option<String>,
    pub required: bool,
    pub disabled: bool,
    pub autocomplete: Option<String>,
    pub pattern: Option<String>,
    pub maxlength: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TextAttributes {
    pub id: String,
    pub text: UiText,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImageAttributes {
    pub id: String,
    pub src: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnchorAttributes {
    pub id: String,
    pub href: String,
    pub title: UiText,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeAttributes {
    Input(InputAttributes),
    Text(TextAttributes),
    Img(ImageAttributes),
    A(AnchorAttributes),
}

/// One Kratos `uiNode`.
#[derive(Debug, Clone, PartialEq)]
pub struct UiNode {
    pub group: String,
    pub attributes: NodeAttributes,
    pub messages: Vec<UiText>,
    pub label: Option<UiText>,
}
