//! A WHERE clause built from the filters a list was given, so that each query names only the
//! conditions it has: `ball = $1` lets the database walk the `(ball, updated_at, id)` index in
//! order, where `($1 = '' OR ball = $1)` made it sort every row (a staff queue of 10,000 open
//! submissions took half a second).

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// A value bound to a placeholder.
#[derive(Clone, Debug)]
pub enum Value {
    Text(String),
    Int(i64),
}

/// Conditions joined with `AND`, and their values in placeholder order.
#[derive(Clone, Debug, Default)]
pub struct Where {
    clauses: Vec<String>,
    values: Vec<Value>,
}

impl Where {
    /// `column = value`.
    pub fn equals(&mut self, column: &str, value: Value) -> &mut Self {
        let n = self.push(value);
        self.clauses.push(format!("{column} = ${n}"));
        self
    }

    /// A clause with `?` standing for each of `values`, in order (`x > ? OR (x = ? AND id > ?)`).
    pub fn clause(&mut self, text: &str, values: Vec<Value>) -> &mut Self {
        let mut out = String::new();
        let mut values = values.into_iter();
        for part in text.split('?').enumerate() {
            if part.0 > 0 {
                let n = self.push(values.next().unwrap_or(Value::Int(0)));
                out.push_str(&format!("${n}"));
            }
            out.push_str(part.1);
        }
        self.clauses.push(format!("({out})"));
        self
    }

    /// A condition with no value (`c.closed_at IS NULL`).
    pub fn raw(&mut self, text: &str) -> &mut Self {
        self.clauses.push(text.to_string());
        self
    }

    fn push(&mut self, value: Value) -> usize {
        self.values.push(value);
        self.values.len()
    }

    /// The next placeholder's number (for what follows the WHERE clause, such as `LIMIT`).
    pub fn next_placeholder(&self) -> usize {
        self.values.len() + 1
    }

    /// `WHERE ...`, or nothing.
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// Binds the values to `query`, in order.
    pub fn bind<'q>(
        &self,
        mut query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for value in &self.values {
            query = match value {
                Value::Text(text) => query.bind(text.clone()),
                Value::Int(n) => query.bind(*n),
            };
        }
        query
    }
}
