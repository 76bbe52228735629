//! Builds the node tree from parser events without recursion, applying the core schema, the
//! duplicate-key rule and the alias budget as Forge's parser does.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};

use crate::key_text::{self, Recorder, ScalarKind, Written, WrittenScalar};
use crate::known_tags::{self, CollectionTag};
use crate::schema::{resolve_plain, resolve_tagged};
use crate::source::Source;
use crate::{Entry, Limits, LoadError, Node, Pos, Span, Value};

/// Parses `text` and returns the root node of its single document.
pub(crate) fn compose(text: &str, limits: &Limits) -> Result<Node, LoadError> {
    // One call site for `compose_once`, so that the parser's event loop stays inlined in it.
    let mut without_repeated_directives: Option<String> = None;
    loop {
        let source = without_repeated_directives.as_deref().unwrap_or(text);
        match compose_once(source, limits) {
            Err(e)
                if without_repeated_directives.is_none()
                    && crate::directives::is_repeated_yaml_directive(&e) =>
            {
                match crate::directives::without_repeated_yaml_directives(text) {
                    Some(fixed) => without_repeated_directives = Some(fixed),
                    None => return Err(e),
                }
            }
            result => return result,
        }
    }
}

fn compose_once(text: &str, limits: &Limits) -> Result<Node, LoadError> {
    let mut composer = Composer::new(limits, text);
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| scan_error(text, &e))?;
        if composer.event(event, Span::from_saphyr(&span), span.start.index())? {
            break;
        }
    }
    Ok(composer
        .root
        .unwrap_or_else(|| leaf(Value::Null, Span::point(Pos::new(1, 1)))))
}

fn leaf(value: Value, span: Span) -> Node {
    Node {
        value,
        span,
        via_alias: None,
    }
}

/// An anchored node and the bookkeeping Forge's parser keeps for its alias budget.
struct Anchor {
    node: Node,
    nodes: usize,
    bytes: usize,
    /// How many times an alias has used it so far.
    uses: u64,
    /// `yaml`'s `aliasCount`: the largest alias weight nested inside the anchored node, fixed at
    /// its first use.
    alias_count: u64,
    /// The weight as computed when the anchored node was completed.
    weight: u64,
}

/// A collection still being read.
struct Frame {
    start: Span,
    anchor: usize,
    /// The largest alias weight of any child (`getAliasCount` in `yaml`): 0 for an empty collection.
    weight: u64,
    /// A `!!set`, `!!omap` or `!!pairs` tag, applied when the collection closes.
    tag: CollectionTag,
    kind: FrameKind,
}

enum FrameKind {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        pending_key: Option<Node>,
        /// Built once a mapping grows past a few keys, so duplicate detection stays linear.
        index: Option<HashMap<KeyId, usize>>,
        /// The text of each collection key, by entry, put in place of the key when the mapping
        /// closes: until then the key must stay a collection, which is never a duplicate.
        key_texts: Vec<(usize, String)>,
    },
}

/// The identity of a key as `yaml`'s `uniqueKeys` sees it: scalars compare by JavaScript value,
/// collections by reference (so they are never duplicates).
#[derive(Hash, PartialEq, Eq)]
enum KeyId {
    Null,
    Bool(bool),
    Number(u64),
    Str(String),
}

fn key_id(node: &Node) -> Option<KeyId> {
    if node.via_alias.is_some() {
        // Each alias is its own node in `yaml`, compared by reference.
        return None;
    }
    Some(match &node.value {
        Value::Null => KeyId::Null,
        Value::Bool(b) => KeyId::Bool(*b),
        #[allow(clippy::cast_precision_loss)]
        Value::Int(i) => KeyId::Number(normalise(*i as f64)?),
        Value::Float(f) => KeyId::Number(normalise(*f)?),
        Value::Str(s) => KeyId::Str(s.clone()),
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

/// JavaScript numbers: `0 === -0`, `NaN !== NaN`.
fn normalise(f: f64) -> Option<u64> {
    if f.is_nan() {
        None
    } else if f == 0.0 {
        Some(0f64.to_bits())
    } else {
        Some(f.to_bits())
    }
}

/// Linear search is faster for the small mappings manifests are made of.
const INDEX_THRESHOLD: usize = 16;

struct Composer<'l, 't> {
    limits: &'l Limits,
    source: Source<'t>,
    /// Records a collection key while it is being read, for its text.
    key: Option<Recorder>,
    /// The text of the collection key about to complete, for its mapping to put in its place.
    key_text: Option<String>,
    frames: Vec<Frame>,
    anchors: HashMap<usize, Anchor>,
    root: Option<Node>,
    documents: usize,
    nodes: usize,
    copied_bytes: usize,
}

impl<'l, 't> Composer<'l, 't> {
    fn new(limits: &'l Limits, text: &'t str) -> Self {
        Composer {
            limits,
            source: Source::new(text),
            key: None,
            key_text: None,
            frames: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            documents: 0,
            nodes: 0,
            copied_bytes: 0,
        }
    }

    /// Handles one event; returns true at the end of the stream. `at` is where the event starts,
    /// as the parser's character offset.
    fn event(&mut self, event: Event<'_>, span: Span, at: usize) -> Result<bool, LoadError> {
        match event {
            Event::StreamEnd => return Ok(true),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(LoadError::MultipleDocuments { at: span.start });
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let recorded = self.key.is_some().then(|| text.to_string());
                let value = match (&tag, style) {
                    (Some(tag), _) if tag.is_yaml_core_schema() => {
                        self.tagged_scalar(&tag.suffix, &text, span)?
                    }
                    (_, ScalarStyle::Plain) if tag.is_none() => resolve_plain(&text),
                    _ => Value::Str(text.into_owned()),
                };
                if tag.is_some() {
                    self.check_set_value(span)?;
                }
                if let Some(text) = recorded {
                    let props = (anchor, tag.as_deref());
                    self.record_scalar(text, style, props, &value, span, at);
                }
                self.count_nodes(1, span.start)?;
                self.complete(leaf(value, span), anchor, 1)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.record_open(anchor, tag.as_deref(), false, at);
                let tag = CollectionTag::of(tag.as_deref(), false);
                self.open(span, anchor, tag, FrameKind::Seq(Vec::new()))?
            }
            Event::MappingStart(anchor, tag) => {
                self.record_open(anchor, tag.as_deref(), true, at);
                let tag = CollectionTag::of(tag.as_deref(), true);
                let kind = FrameKind::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    index: None,
                    key_texts: Vec::new(),
                };
                self.open(span, anchor, tag, kind)?
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(recorder) = &mut self.key {
                    let key_text = recorder.close();
                    if recorder.is_done() {
                        self.key = None;
                    }
                    self.set_key_text(key_text, span)?;
                }
                self.close(span)?
            }
            Event::Alias(id) => {
                if let Some(recorder) = &mut self.key {
                    recorder.leaf(Some(Written::Alias(self.source.alias_at(at))));
                }
                self.alias(id, span, at)?
            }
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
        }
        Ok(false)
    }

    /// A scalar with a core-schema tag; `!!binary` and `!!timestamp` build their JSON values.
    #[inline(never)]
    fn tagged_scalar(&mut self, suffix: &str, text: &str, span: Span) -> Result<Value, LoadError> {
        if suffix == "binary" {
            self.count_nodes(known_tags::binary_nodes(text), span.start)?;
        }
        match known_tags::scalar(suffix, text, span) {
            None => Ok(resolve_tagged(suffix, text)),
            Some(result) => result.map_err(|message| LoadError::Syntax {
                at: span.start,
                message,
            }),
        }
    }

    /// `yaml` accepts only plain nulls as the values of a `!!set`: a tagged value or an alias,
    /// even one to null, makes it refuse the set. Called for those two kinds of value.
    fn check_set_value(&self, at: Span) -> Result<(), LoadError> {
        match self.frames.last() {
            Some(Frame {
                tag: CollectionTag::Set,
                kind:
                    FrameKind::Map {
                        pending_key: Some(_),
                        ..
                    },
                start,
                ..
            }) => Err(LoadError::Syntax {
                at: at.start,
                message: format!(
                    "{} (the set starts at {})",
                    known_tags::SET_VALUES,
                    start.start
                ),
            }),
            _ => Ok(()),
        }
    }

    /// True when the next node completes as a mapping key.
    fn at_key(&self) -> bool {
        matches!(
            self.frames.last(),
            Some(Frame {
                kind: FrameKind::Map {
                    pending_key: None,
                    ..
                },
                ..
            })
        )
    }

    /// Starts recording a collection that is a key, or records one inside a recorded key.
    fn record_open(&mut self, anchor: usize, tag: Option<&Tag>, map: bool, at: usize) {
        if self.key.is_some() || self.at_key() {
            self.record_open_key(anchor, tag, map, at);
        }
    }

    #[cold]
    #[inline(never)]
    fn record_open_key(&mut self, anchor: usize, tag: Option<&Tag>, map: bool, at: usize) {
        let name = (anchor != 0).then(|| self.source.anchor_at(at));
        let props = key_text::collection_props(name.as_deref(), tag, map);
        self.key.get_or_insert_default().open(props, map);
    }

    /// Whether the empty mapping value the parser reports at `span` was written with a `:`. The
    /// parser puts a missing value at the next token, which may be the `:` of an enclosing
    /// block mapping: a `:` on a later line and left of the mapping's first key is not this
    /// mapping's.
    fn value_written(&mut self, span: Span, at: usize) -> bool {
        if !self.source.value_indicator_at(at) {
            return false;
        }
        let Some(map) = self.frames.last() else {
            return true;
        };
        let start = map.start.start;
        span.start.line <= start.line || span.start.column >= start.column
    }

    /// Records a scalar inside a collection key.
    #[cold]
    #[inline(never)]
    fn record_scalar(
        &mut self,
        text: String,
        style: ScalarStyle,
        (anchor, tag): (usize, Option<&Tag>),
        value: &Value,
        span: Span,
        at: usize,
    ) {
        let expects_value = self.key.as_ref().is_some_and(Recorder::expects_value);
        let absent = expects_value
            && text.is_empty()
            && style == ScalarStyle::Plain
            && anchor == 0
            && tag.is_none()
            && !self.value_written(span, at);
        let written = (!absent).then(|| {
            let name = (anchor != 0).then(|| self.source.anchor_at(at));
            let kind = match value {
                Value::Null => ScalarKind::Null,
                Value::Bool(b) => ScalarKind::Bool(*b),
                Value::Int(i) => ScalarKind::Int(*i),
                Value::Float(f) => ScalarKind::Float(*f),
                Value::Str(_) | Value::Seq(_) | Value::Map(_) => ScalarKind::Str,
            };
            Written::Scalar(WrittenScalar {
                props: key_text::props(name.as_deref(), tag),
                style,
                text,
                kind,
                actual_string: key_text::actual_string(tag),
            })
        });
        if let Some(recorder) = &mut self.key {
            recorder.leaf(written);
        }
    }

    /// Charges values to the expanded-size budget.
    fn count_nodes(&mut self, added: usize, at: Pos) -> Result<(), LoadError> {
        let limit = self.limits.max_nodes;
        charge(
            &mut self.nodes,
            added,
            limit,
            at,
            "the expanded document would hold more than",
            "values",
        )
    }

    /// Charges text copied for anchors and aliases, and the text of collection keys, to its
    /// budget.
    fn count_copied(&mut self, bytes: usize, at: Pos) -> Result<(), LoadError> {
        let limit = self.limits.max_copied_bytes;
        let what = "anchors, aliases and collection keys would copy more than";
        charge(
            &mut self.copied_bytes,
            bytes,
            limit,
            at,
            what,
            "bytes of text",
        )
    }

    fn open(
        &mut self,
        span: Span,
        anchor: usize,
        tag: CollectionTag,
        kind: FrameKind,
    ) -> Result<(), LoadError> {
        if self.frames.len() >= self.limits.max_depth {
            return Err(LoadError::TooDeep {
                at: span.start,
                limit: self.limits.max_depth,
            });
        }
        self.count_nodes(1, span.start)?;
        self.frames.push(Frame {
            start: span,
            anchor,
            weight: 0,
            tag,
            kind,
        });
        Ok(())
    }

    /// Keeps the text of the collection key about to complete. Nested keys are printed again
    /// inside each enclosing key, so their text is charged like copies.
    fn set_key_text(&mut self, text: Option<String>, span: Span) -> Result<(), LoadError> {
        if let Some(text) = &text {
            self.count_copied(text.len(), span.start)?;
        }
        self.key_text = text;
        Ok(())
    }

    /// Finishes the innermost collection.
    fn close(&mut self, span: Span) -> Result<(), LoadError> {
        let Some(frame) = self.frames.pop() else {
            return Ok(());
        };
        let end = if span.end > frame.start.start {
            span.end
        } else {
            frame.start.end
        };
        let span = Span::new(frame.start.start, end);
        let value = match frame.kind {
            FrameKind::Seq(items) => Value::Seq(items),
            FrameKind::Map {
                mut entries,
                key_texts,
                ..
            } => {
                if !key_texts.is_empty() {
                    put_key_texts(&mut entries, key_texts);
                }
                Value::Map(entries)
            }
        };
        let value = match frame.tag {
            CollectionTag::Plain => value,
            tag => {
                known_tags::collection(tag, value, span).map_err(|message| LoadError::Syntax {
                    at: span.start,
                    message,
                })?
            }
        };
        self.complete(leaf(value, span), frame.anchor, frame.weight)
    }

    fn alias(&mut self, id: usize, span: Span, at: usize) -> Result<(), LoadError> {
        self.check_set_value(span)?;
        let max = self.limits.max_alias_count;
        let Some(anchor) = self.anchors.get_mut(&id) else {
            return Err(LoadError::RecursiveAlias { at: span.start });
        };
        anchor.uses += 1;
        if anchor.alias_count == 0 {
            anchor.alias_count = anchor.weight;
        }
        // `yaml` counts the anchored node itself as the first use.
        let weight = (anchor.uses + 1).saturating_mul(anchor.alias_count);
        if weight > max {
            return Err(LoadError::AliasBudget {
                at: span.start,
                reason: format!(
                    "an anchor is used {} times with alias weight {}, over Forge's limit of {max}",
                    anchor.uses + 1,
                    anchor.alias_count
                ),
            });
        }
        let (added, bytes) = (anchor.nodes, anchor.bytes);
        self.count_nodes(added, span.start)?;
        self.count_copied(bytes, span.start)?;
        let Some(anchor) = self.anchors.get(&id) else {
            return Err(LoadError::RecursiveAlias { at: span.start });
        };
        let mut node = anchor.node.clone();
        node.walk_mut(&mut |n| n.via_alias = Some(span));
        // An alias to a collection, used as a key, is printed as the alias itself.
        if self.at_key() && matches!(node.value, Value::Seq(_) | Value::Map(_)) {
            let text = format!("*{}", self.source.alias_at(at));
            self.set_key_text(Some(text), span)?;
        }
        self.complete(node, 0, weight)
    }

    /// Attaches a finished node to its parent, or makes it the root.
    fn complete(&mut self, node: Node, anchor: usize, weight: u64) -> Result<(), LoadError> {
        if anchor != 0 {
            let (nodes, bytes) = node.size();
            self.count_nodes(nodes, node.span.start)?;
            self.count_copied(bytes, node.span.start)?;
            self.anchors.insert(
                anchor,
                Anchor {
                    nodes,
                    bytes,
                    node: node.clone(),
                    uses: 0,
                    alias_count: 0,
                    weight,
                },
            );
        }
        let Some(frame) = self.frames.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        frame.weight = frame.weight.max(weight);
        match &mut frame.kind {
            FrameKind::Seq(items) => items.push(node),
            FrameKind::Map {
                entries,
                pending_key,
                index,
                key_texts,
            } => match pending_key.take() {
                None => {
                    check_unique(entries, index, &node)?;
                    if let Some(text) = self.key_text.take() {
                        key_texts.push((entries.len(), text));
                    }
                    *pending_key = Some(node);
                }
                Some(key) => {
                    if let (Some(index), Some(id)) = (index.as_mut(), key_id(&key)) {
                        index.insert(id, entries.len());
                    }
                    entries.push(Entry { key, value: node });
                    if index.is_none() && entries.len() >= INDEX_THRESHOLD {
                        *index = Some(
                            entries
                                .iter()
                                .enumerate()
                                .filter_map(|(i, e)| key_id(&e.key).map(|id| (id, i)))
                                .collect(),
                        );
                    }
                }
            },
        }
        Ok(())
    }
}

/// Replaces collection keys by their text once their mapping is complete.
#[cold]
#[inline(never)]
fn put_key_texts(entries: &mut [Entry], key_texts: Vec<(usize, String)>) {
    for (i, text) in key_texts {
        if let Some(entry) = entries.get_mut(i) {
            entry.key.value = Value::Str(text);
        }
    }
}

/// Adds to a running total and refuses the document once the total passes its limit.
fn charge(
    total: &mut usize,
    added: usize,
    limit: usize,
    at: Pos,
    what: &str,
    unit: &str,
) -> Result<(), LoadError> {
    *total = total.saturating_add(added);
    if *total > limit {
        return Err(LoadError::AliasBudget {
            at,
            reason: format!("{what} {limit} {unit}"),
        });
    }
    Ok(())
}

fn check_unique(
    entries: &[Entry],
    index: &Option<HashMap<KeyId, usize>>,
    key: &Node,
) -> Result<(), LoadError> {
    let Some(id) = key_id(key) else {
        return Ok(());
    };
    let earlier = match index {
        Some(index) => index.get(&id).map(|&i| &entries[i]),
        None => entries
            .iter()
            .find(|e| key_id(&e.key).as_ref() == Some(&id)),
    };
    match earlier {
        Some(first) => Err(LoadError::DuplicateKey {
            key: key.display_scalar(),
            first: first.key.span,
            second: key.span,
        }),
        None => Ok(()),
    }
}

/// Converts the parser's error, recognising the undefined alias that an unquoted `*.host` makes.
fn scan_error(text: &str, e: &ScanError) -> LoadError {
    let at = Pos::from_marker(e.marker());
    if e.info().contains("unknown anchor") {
        let name: String = text
            .chars()
            .skip(e.marker().index())
            .skip_while(|&c| c == '*')
            .take_while(|&c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
            .collect();
        return LoadError::UndefinedAlias { at, name };
    }
    LoadError::Syntax {
        at,
        message: e.info().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Node, LoadError> {
        compose(text, &Limits::default())
    }

    #[test]
    fn spans_are_one_based() {
        let root = load("a:\n  b: hello\n").unwrap();
        let b = root.at(&["a", "b"]).unwrap();
        assert_eq!(b.as_str(), Some("hello"));
        assert_eq!(b.span.start, Pos::new(2, 6));
        assert_eq!(b.span.end, Pos::new(2, 11));
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        let err = load("a: 1\nb: 2\na: 3\n").unwrap_err();
        let LoadError::DuplicateKey { key, first, second } = err else {
            panic!("{err:?}")
        };
        assert_eq!(key, "a");
        assert_eq!(first.start, Pos::new(1, 1));
        assert_eq!(second.start, Pos::new(3, 1));
    }

    #[test]
    fn duplicate_keys_in_large_mappings_are_found() {
        let mut text: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k42: again\n");
        assert!(matches!(load(&text), Err(LoadError::DuplicateKey { .. })));
    }

    #[test]
    fn number_keys_compare_as_javascript_numbers() {
        assert!(matches!(
            load("1: a\n1.0: b\n"),
            Err(LoadError::DuplicateKey { .. })
        ));
        assert!(load("1: a\n'1': b\n").is_ok());
    }

    #[test]
    fn merge_key_is_an_ordinary_key() {
        let root = load("base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n").unwrap();
        let child = root.get("child").unwrap();
        assert!(child.get("<<").is_some());
        assert!(child.get("x").is_none());
    }

    #[test]
    fn aliases_expand_and_remember_both_places() {
        let root = load("a: &x {k: v}\nb: *x\n").unwrap();
        let b = root.get("b").unwrap();
        assert_eq!(b.get("k").unwrap().as_str(), Some("v"));
        assert_eq!(b.span.start.line, 1);
        assert_eq!(b.via_alias.unwrap().start.line, 2);
    }

    #[test]
    fn unquoted_wildcard_host_is_an_undefined_alias() {
        let err = load("images:\n  - *.example.com\n").unwrap_err();
        assert_eq!(
            err,
            LoadError::UndefinedAlias {
                at: Pos::new(2, 5),
                name: ".example.com".into()
            }
        );
        assert!(err.hint().unwrap().contains("'*.example.com'"));
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(", ");
            text.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        assert!(matches!(load(&text), Err(LoadError::AliasBudget { .. })));
    }

    #[test]
    fn alias_budget_matches_forge_exactly() {
        let uses = |n: usize| format!("a: &a x\nb: [{}]\n", vec!["*a"; n].join(", "));
        assert!(load(&uses(99)).is_ok());
        assert!(matches!(
            load(&uses(100)),
            Err(LoadError::AliasBudget { .. })
        ));
        let empty = format!("a: &a {{}}\nb: [{}]\n", vec!["*a"; 1000].join(", "));
        assert!(load(&empty).is_ok());
        let nested = |n: usize| {
            format!(
                "a: &a x\nb: &b [{}]\nc: [{}]\n",
                ["*a"; 10].join(", "),
                vec!["*b"; n].join(", ")
            )
        };
        assert!(load(&nested(8)).is_ok());
        assert!(matches!(
            load(&nested(9)),
            Err(LoadError::AliasBudget { .. })
        ));
    }

    #[test]
    fn copies_are_bounded_in_bytes() {
        let big = "x".repeat(1024 * 1024);
        let nested = format!(
            "a: {}'{big}'{}\n",
            (0..40).map(|i| format!("&a{i} [")).collect::<String>(),
            "]".repeat(40)
        );
        assert!(matches!(load(&nested), Err(LoadError::AliasBudget { .. })));
        let aliased = format!("a: &a '{big}'\nb: [{}]\n", vec!["*a"; 50].join(", "));
        assert!(matches!(load(&aliased), Err(LoadError::AliasBudget { .. })));
        let fine = format!("a: &a '{big}'\nb: [*a, *a]\n");
        assert!(load(&fine).is_ok());
    }

    #[test]
    fn collection_key_text_is_bounded() {
        let limits = Limits {
            max_copied_bytes: 64,
            ..Limits::default()
        };
        let key = |n: usize| format!("? [{}]\n: 1\n", vec!["abcdefgh"; n].join(", "));
        assert!(compose(&key(4), &limits).is_ok());
        let err = compose(&key(8), &limits).unwrap_err();
        assert!(matches!(err, LoadError::AliasBudget { .. }), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let text = "[".repeat(100_000);
        let err = load(&text).unwrap_err();
        assert!(
            err.is_resource_limit() || matches!(err, LoadError::Syntax { .. }),
            "{err:?}"
        );
        let text: String = (0..20_000)
            .map(|i| format!("{}- \n", " ".repeat(i % 3)))
            .collect();
        let _ = load(&text);
        let text = "- ".repeat(20_000) + "x";
        assert!(matches!(load(&text), Err(LoadError::TooDeep { .. })));
        let text: String = (0..600).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        assert!(matches!(load(&text), Err(LoadError::TooDeep { .. })));
    }

    #[test]
    fn second_document_is_refused() {
        assert!(matches!(
            load("a: 1\n---\nb: 2\n"),
            Err(LoadError::MultipleDocuments { .. })
        ));
        assert!(load("---\na: 1\n...\n").is_ok());
    }

    #[test]
    fn empty_document_is_null() {
        assert!(load("").unwrap().is_null());
        assert!(load("# just a comment\n").unwrap().is_null());
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let root = load("a: 'true'\nb: \"12\"\nc: !!str 5\nd: |\n  yes\n").unwrap();
        assert_eq!(root.get("a").unwrap().as_str(), Some("true"));
        assert_eq!(root.get("b").unwrap().as_str(), Some("12"));
        assert_eq!(root.get("c").unwrap().as_str(), Some("5"));
        assert_eq!(root.get("d").unwrap().as_str(), Some("yes\n"));
    }
}
