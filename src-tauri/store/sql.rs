//! The one way `store` code talks to the database, whichever engine runs underneath.
//!
//! `q(SQL)` (rows) or `scalar(SQL)` (the first column), `$1 … $n` placeholders (SQLite
//! accepts them as well as PostgreSQL), `.bind(value)` in order, then a `fetch_*` or
//! `execute` on a write transaction (`&mut Tx`) or the read pool (`&Reader`). Rows decode
//! straight from the engine's own row type (no copy through a generic row), so a row struct
//! only needs `#[derive(sqlx::FromRow)]` with field types both engines know: `i64`
//! (BIGINT), `String` (TEXT), `Vec<u8>` (BYTEA), `bool` (BOOLEAN), `f64`, and `Option`s.
//! SQL that differs between the engines picks its text with [`Engine::pick`].

use super::{Reader, Result, StoreError, Tx};
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{Arguments, Decode, FromRow, Postgres, Sqlite, Type};
use std::borrow::Cow;

/// The engine a connection belongs to, for the few statements whose text differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// `sqlite` on SQLite, `postgres` on PostgreSQL.
    pub fn pick<T>(self, sqlite: T, postgres: T) -> T {
        match self {
            Engine::Sqlite => sqlite,
            Engine::Postgres => postgres,
        }
    }
}

/// A bound value, typed even when NULL (PostgreSQL checks parameter types).
#[derive(Debug, Clone)]
pub enum Arg {
    I64(Option<i64>),
    F64(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

/// A Rust value that can be bound to a placeholder.
pub trait Bind {
    /// NULL of this value's SQL type.
    const NULL: Arg;
    fn arg(self) -> Arg;
}

macro_rules! bind_int {
    ($($t:ty),*) => {$(
        impl Bind for $t {
            const NULL: Arg = Arg::I64(None);
            fn arg(self) -> Arg {
                Arg::I64(Some(i64::try_from(self).unwrap_or(i64::MAX)))
            }
        }
        impl Bind for &$t {
            const NULL: Arg = Arg::I64(None);
            fn arg(self) -> Arg {
                (*self).arg()
            }
        }
    )*};
}
bind_int!(i64, i32, u32, u64, usize);

impl Bind for bool {
    const NULL: Arg = Arg::Bool(None);
    fn arg(self) -> Arg {
        Arg::Bool(Some(self))
    }
}
impl Bind for &bool {
    const NULL: Arg = Arg::Bool(None);
    fn arg(self) -> Arg {
        Arg::Bool(Some(*self))
    }
}
impl Bind for f64 {
    const NULL: Arg = Arg::F64(None);
    fn arg(self) -> Arg {
        Arg::F64(Some(self))
    }
}
impl Bind for String {
    const NULL: Arg = Arg::Text(None);
    fn arg(self) -> Arg {
        Arg::Text(Some(self))
    }
}
impl Bind for &String {
    const NULL: Arg = Arg::Text(None);
    fn arg(self) -> Arg {
        Arg::Text(Some(self.clone()))
    }
}
impl Bind for &str {
    const NULL: Arg = Arg::Text(None);
    fn arg(self) -> Arg {
        Arg::Text(Some(self.to_owned()))
    }
}
impl Bind for &&str {
    const NULL: Arg = Arg::Text(None);
    fn arg(self) -> Arg {
        Arg::Text(Some((*self).to_owned()))
    }
}
impl Bind for Vec<u8> {
    const NULL: Arg = Arg::Blob(None);
    fn arg(self) -> Arg {
        Arg::Blob(Some(self))
    }
}
impl Bind for &Vec<u8> {
    const NULL: Arg = Arg::Blob(None);
    fn arg(self) -> Arg {
        Arg::Blob(Some(self.clone()))
    }
}
impl Bind for &[u8] {
    const NULL: Arg = Arg::Blob(None);
    fn arg(self) -> Arg {
        Arg::Blob(Some(self.to_vec()))
    }
}
impl<const N: usize> Bind for &[u8; N] {
    const NULL: Arg = Arg::Blob(None);
    fn arg(self) -> Arg {
        Arg::Blob(Some(self.to_vec()))
    }
}
impl<T: Bind> Bind for Option<T> {
    const NULL: Arg = T::NULL;
    fn arg(self) -> Arg {
        match self {
            Some(v) => v.arg(),
            None => T::NULL,
        }
    }
}
impl<'a, T> Bind for &'a Option<T>
where
    &'a T: Bind,
{
    const NULL: Arg = <&'a T>::NULL;
    fn arg(self) -> Arg {
        match self {
            Some(v) => v.arg(),
            None => <&'a T>::NULL,
        }
    }
}

/// A connection to run one statement on.
pub enum Conn<'a> {
    Lite(&'a mut SqliteConnection),
    LitePool(&'a SqlitePool),
    Pg(&'a mut PgConnection),
    PgPool(&'a PgPool),
}

/// Where a statement can run: a write transaction or the read pool.
pub trait Exec<'a> {
    fn conn(self) -> Conn<'a>;
}

impl<'a> Exec<'a> for &'a mut Tx {
    fn conn(self) -> Conn<'a> {
        self.conn()
    }
}

/// SQLite's writer outside a transaction: a single statement commits on its own.
pub(super) struct Autocommit<'a>(pub(super) &'a SqlitePool);

impl<'a> Exec<'a> for Autocommit<'a> {
    fn conn(self) -> Conn<'a> {
        Conn::LitePool(self.0)
    }
}

impl<'a> Exec<'a> for &'a Reader {
    fn conn(self) -> Conn<'a> {
        self.conn()
    }
}

/// A row type both engines can decode.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// A column value both engines can decode.
pub trait Col:
    for<'r> Decode<'r, Sqlite>
    + Type<Sqlite>
    + for<'r> Decode<'r, Postgres>
    + Type<Postgres>
    + Send
    + Unpin
{
}
impl<T> Col for T where
    T: for<'r> Decode<'r, Sqlite>
        + Type<Sqlite>
        + for<'r> Decode<'r, Postgres>
        + Type<Postgres>
        + Send
        + Unpin
{
}

/// A statement and its bound values.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: Cow<'static, str>,
    args: Vec<Arg>,
}

/// A statement whose rows are read into a [`Row`] type.
pub fn q(text: impl Into<Cow<'static, str>>) -> Sql {
    Sql {
        text: text.into(),
        args: Vec::new(),
    }
}

/// A statement whose first column is read.
pub fn scalar(text: impl Into<Cow<'static, str>>) -> Scalar {
    Scalar(q(text))
}

/// Runs one statement on whichever engine `$conn` belongs to: `$f` is the sqlx query
/// function (`query_with`, `query_as_with`, `query_scalar_with`), `$run` its method and
/// `$then` a method of what that returns.
macro_rules! on_engine {
    ($sql:expr, $conn:expr, $f:ident, $run:ident $(, $then:ident)?) => {{
        let Sql { text, args } = $sql;
        match $conn {
            Conn::Lite(c) => sqlx::$f(&text, lite_args(args)?).$run(c).await?$(.$then())?,
            Conn::LitePool(p) => sqlx::$f(&text, lite_args(args)?).$run(p).await?$(.$then())?,
            Conn::Pg(c) => sqlx::$f(&text, pg_args(args)?).$run(c).await?$(.$then())?,
            Conn::PgPool(p) => sqlx::$f(&text, pg_args(args)?).$run(p).await?$(.$then())?,
        }
    }};
}

impl Sql {
    pub fn bind(mut self, v: impl Bind) -> Self {
        self.args.push(v.arg());
        self
    }

    /// Appends SQL text (for statements built piece by piece).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.to_mut().push_str(text);
        self
    }

    /// Appends the next placeholder and binds `v` to it.
    pub fn push_bind(&mut self, v: impl Bind) -> &mut Self {
        self.args.push(v.arg());
        let n = self.args.len();
        self.text.to_mut().push_str(&format!("${n}"));
        self
    }

    /// Runs the statement; the number of rows it changed.
    pub async fn execute<'a>(self, on: impl Exec<'a>) -> Result<u64> {
        if self.matches_nothing()? {
            return Ok(0);
        }
        Ok(on_engine!(
            self,
            on.conn(),
            query_with,
            execute,
            rows_affected
        ))
    }

    pub async fn fetch_one<'a, T: Row>(self, on: impl Exec<'a>) -> Result<T> {
        if self.matches_nothing()? {
            return Err(sqlx::Error::RowNotFound.into());
        }
        Ok(on_engine!(self, on.conn(), query_as_with, fetch_one))
    }

    pub async fn fetch_optional<'a, T: Row>(self, on: impl Exec<'a>) -> Result<Option<T>> {
        if self.matches_nothing()? {
            return Ok(None);
        }
        Ok(on_engine!(self, on.conn(), query_as_with, fetch_optional))
    }

    pub async fn fetch_all<'a, T: Row>(self, on: impl Exec<'a>) -> Result<Vec<T>> {
        if self.matches_nothing()? {
            return Ok(Vec::new());
        }
        Ok(on_engine!(self, on.conn(), query_as_with, fetch_all))
    }

    /// PostgreSQL cannot hold a NUL character in text (it refuses the statement), SQLite
    /// can; both engines answer alike here instead. A read with such a text (an id or email
    /// straight from a request) finds nothing without asking: no stored text holds one. A
    /// write is refused ([`StoreError::Invalid`]: 422 on /v1, `invalid_request` on OAuth).
    fn matches_nothing(&self) -> Result<bool> {
        let nul = self
            .args
            .iter()
            .any(|a| matches!(a, Arg::Text(Some(t)) if t.contains('\0')));
        if !nul {
            return Ok(false);
        }
        let head = self.text.trim_start().get(..6).unwrap_or_default();
        if head.eq_ignore_ascii_case("SELECT") {
            Ok(true)
        } else {
            Err(StoreError::Invalid("text must not contain NUL characters"))
        }
    }
}

/// A statement read for its first column (see [`scalar`]).
#[derive(Debug, Clone)]
pub struct Scalar(Sql);

impl Scalar {
    pub fn bind(self, v: impl Bind) -> Self {
        Scalar(self.0.bind(v))
    }

    pub async fn fetch_one<'a, T: Col>(self, on: impl Exec<'a>) -> Result<T> {
        if self.0.matches_nothing()? {
            return Err(sqlx::Error::RowNotFound.into());
        }
        Ok(on_engine!(self.0, on.conn(), query_scalar_with, fetch_one))
    }

    pub async fn fetch_optional<'a, T: Col>(self, on: impl Exec<'a>) -> Result<Option<T>> {
        if self.0.matches_nothing()? {
            return Ok(None);
        }
        Ok(on_engine!(
            self.0,
            on.conn(),
            query_scalar_with,
            fetch_optional
        ))
    }

    pub async fn fetch_all<'a, T: Col>(self, on: impl Exec<'a>) -> Result<Vec<T>> {
        if self.0.matches_nothing()? {
            return Ok(Vec::new());
        }
        Ok(on_engine!(self.0, on.conn(), query_scalar_with, fetch_all))
    }
}

/// Encodes the bound values into one engine's argument buffer.
macro_rules! encode {
    ($buffer:ty, $args:expr) => {{
        let mut out = <$buffer>::default();
        for arg in $args {
            match arg {
                Arg::I64(v) => out.add(v),
                Arg::F64(v) => out.add(v),
                Arg::Bool(v) => out.add(v),
                Arg::Text(v) => out.add(v),
                Arg::Blob(v) => out.add(v),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(out)
    }};
}

fn lite_args(args: Vec<Arg>) -> Result<SqliteArguments<'static>> {
    encode!(SqliteArguments<'static>, args)
}

fn pg_args(args: Vec<Arg>) -> Result<PgArguments> {
    encode!(PgArguments, args)
}
