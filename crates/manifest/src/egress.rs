//! The egress lists under `permissions.external`.

use apptrust_yaml::{Entry, Node, Value};

/// One of the lists under `permissions.external` that declares where the app may send or load data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EgressList {
    /// `fetch.backend`: calls from Forge functions.
    FetchBackend,
    /// `fetch.client`: calls from the browser (Custom UI / UI Kit).
    FetchClient,
    /// `fonts`.
    Fonts,
    /// `frames`.
    Frames,
    /// `images`.
    Images,
    /// `media`.
    Media,
    /// `navigation`.
    Navigation,
    /// `scripts`.
    Scripts,
    /// `styles`.
    Styles,
}

impl EgressList {
    /// All lists, in the order the spec names them.
    pub const ALL: [EgressList; 9] = [
        EgressList::FetchBackend,
        EgressList::FetchClient,
        EgressList::Fonts,
        EgressList::Frames,
        EgressList::Images,
        EgressList::Media,
        EgressList::Navigation,
        EgressList::Scripts,
        EgressList::Styles,
    ];

    /// The list's path below `permissions.external`, e.g. `fetch.backend`.
    pub fn path(self) -> &'static str {
        match self {
            EgressList::FetchBackend => "fetch.backend",
            EgressList::FetchClient => "fetch.client",
            EgressList::Fonts => "fonts",
            EgressList::Frames => "frames",
            EgressList::Images => "images",
            EgressList::Media => "media",
            EgressList::Navigation => "navigation",
            EgressList::Scripts => "scripts",
            EgressList::Styles => "styles",
        }
    }

    /// True for the two `fetch` lists, the only ones where `{remote: key}` is allowed.
    pub fn is_fetch(self) -> bool {
        matches!(self, EgressList::FetchBackend | EgressList::FetchClient)
    }

    fn keys(self) -> &'static [&'static str] {
        match self {
            EgressList::FetchBackend => &["fetch", "backend"],
            EgressList::FetchClient => &["fetch", "client"],
            EgressList::Fonts => &["fonts"],
            EgressList::Frames => &["frames"],
            EgressList::Images => &["images"],
            EgressList::Media => &["media"],
            EgressList::Navigation => &["navigation"],
            EgressList::Scripts => &["scripts"],
            EgressList::Styles => &["styles"],
        }
    }
}

/// One item of an egress list.
#[derive(Clone, Debug)]
pub struct EgressEntry<'a> {
    /// The list it is in.
    pub list: EgressList,
    /// The item itself.
    pub node: &'a Node,
    /// What shape the item has.
    pub form: EntryForm<'a>,
}

/// The shapes an egress item can take.
#[derive(Clone, Debug)]
pub enum EntryForm<'a> {
    /// The deprecated plain-string form: `- api.example.com`.
    Text(&'a str),
    /// The object form: `{address, category, inScopeEUD}` or `{remote}`.
    Object(EgressObject<'a>),
    /// Anything else (a number, a list, null): the schema rejects it.
    Other,
}

/// The keys of an object-form egress item.
#[derive(Clone, Debug, Default)]
pub struct EgressObject<'a> {
    /// `address`.
    pub address: Option<&'a Node>,
    /// `remote`.
    pub remote: Option<&'a Node>,
    /// `category`.
    pub category: Option<&'a Node>,
    /// `inScopeEUD`.
    pub in_scope_eud: Option<&'a Node>,
    /// Any other key, which the schema rejects (a `<<` merge key lands here too).
    pub unknown: Vec<&'a Entry>,
}

impl<'a> EgressEntry<'a> {
    /// The address text, for string items and object items with a string `address`.
    pub fn address(&self) -> Option<&'a str> {
        match &self.form {
            EntryForm::Text(text) => Some(text),
            EntryForm::Object(o) => o.address.and_then(Node::as_str),
            EntryForm::Other => None,
        }
    }

    /// The node holding the address text.
    pub fn address_node(&self) -> Option<&'a Node> {
        match &self.form {
            EntryForm::Text(_) => Some(self.node),
            EntryForm::Object(o) => o.address,
            EntryForm::Other => None,
        }
    }

    /// The object keys, for object items.
    pub fn object(&self) -> Option<&EgressObject<'a>> {
        match &self.form {
            EntryForm::Object(o) => Some(o),
            _ => None,
        }
    }
}

pub(crate) fn entries(external: Option<&Node>) -> Vec<EgressEntry<'_>> {
    let Some(external) = external else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for list in EgressList::ALL {
        let Some(items) = external.at(list.keys()).and_then(Node::as_seq) else {
            continue;
        };
        out.extend(items.iter().map(|node| EgressEntry {
            list,
            node,
            form: form_of(node),
        }));
    }
    out
}

fn form_of(node: &Node) -> EntryForm<'_> {
    match &node.value {
        Value::Str(text) => EntryForm::Text(text),
        Value::Map(entries) => {
            let mut object = EgressObject::default();
            for entry in entries {
                match entry.key.as_str() {
                    Some("address") => object.address = Some(&entry.value),
                    Some("remote") => object.remote = Some(&entry.value),
                    Some("category") => object.category = Some(&entry.value),
                    Some("inScopeEUD") => object.in_scope_eud = Some(&entry.value),
                    _ => object.unknown.push(entry),
                }
            }
            EntryForm::Object(object)
        }
        _ => EntryForm::Other,
    }
}
