//! A scenario: a module, the limits and profile it runs under, a script, and, from the
//! oracle, the outcome the contract requires.

use crate::encode::encode;
use crate::oracle::{self, Ambiguous, Modelled};
use crate::spec::ModuleSpec;
use lifecycle_contract::outcome::hex;
use lifecycle_contract::{Abi, Error, Limits, Profile, Script, Summary};
use serde_json::{Value, json};
use std::time::Duration;

/// Where a scenario's module comes from.
#[derive(Clone, Debug)]
pub enum Module {
    Spec(ModuleSpec),
    /// Bytes that must not start (invalid binaries), with the error start must give.
    Unstartable {
        bytes: Vec<u8>,
        error: Error,
    },
}

#[derive(Clone, Debug)]
pub struct Scenario {
    /// Stable kebab-case name.
    pub name: String,
    /// The SPEC.md section it checks, such as `§3 message ABI`.
    pub clause: &'static str,
    pub description: String,
    pub module: Module,
    pub profile: Profile,
    pub limits: Limits,
    pub script: Script,
    /// The interface the module is run through: a component scenario's spec is run as
    /// its component ([`crate::canonical`]), its unstartable bytes are a component's.
    pub abi: Abi,
}

impl Scenario {
    pub fn new(
        name: impl Into<String>,
        clause: &'static str,
        description: impl Into<String>,
        module: ModuleSpec,
    ) -> Self {
        Scenario {
            name: name.into(),
            clause,
            description: description.into(),
            module: Module::Spec(module),
            profile: Profile::Strict,
            limits: Limits::default(),
            script: Script::default(),
            abi: Abi::Core,
        }
    }

    /// Run with the component ABI (SPEC.md §8).
    pub fn component(self) -> Self {
        self.abi(Abi::Component)
    }

    /// Run through `abi`.
    pub fn abi(mut self, abi: Abi) -> Self {
        self.abi = abi;
        self
    }

    /// The spec the module is made from, if it is.
    pub fn spec(&self) -> Option<&ModuleSpec> {
        match &self.module {
            Module::Spec(spec) => Some(spec),
            Module::Unstartable { .. } => None,
        }
    }

    pub fn unstartable(
        name: impl Into<String>,
        clause: &'static str,
        description: impl Into<String>,
        bytes: Vec<u8>,
        error: Error,
    ) -> Self {
        Scenario {
            module: Module::Unstartable { bytes, error },
            ..Scenario::new(name, clause, description, ModuleSpec::new())
        }
    }

    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    pub fn limits(mut self, edit: impl FnOnce(&mut Limits)) -> Self {
        edit(&mut self.limits);
        self
    }

    /// Send this text after start (messages are text so `trace --send` can replay them).
    pub fn send(mut self, message: &str) -> Self {
        self.script.messages.push(message.as_bytes().to_vec());
        self
    }

    pub fn health(mut self) -> Self {
        self.script.health = true;
        self
    }

    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.script.stop_timeout = timeout;
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        match (&self.module, self.abi) {
            (Module::Spec(spec), Abi::Core) => encode(spec),
            (Module::Spec(spec), Abi::Component) => crate::canonical::component(spec).expect(
                "a component scenario's spec has a component form (the catalogue's tests check)",
            ),
            (Module::Unstartable { bytes, .. }, _) => bytes.clone(),
        }
    }

    /// The text form, where the bytes are a module wasmprinter can print.
    pub fn wat(&self) -> Option<String> {
        wasmprinter::print_bytes(self.bytes()).ok()
    }

    /// The module as the oracle sees it.
    pub fn modelled(&self) -> Modelled<'_> {
        match &self.module {
            Module::Spec(spec) => Modelled::of(spec, self.abi),
            Module::Unstartable { error, .. } => Modelled::Unstartable(error),
        }
    }

    /// The scenario on the component ABI (SPEC.md §8): the component of its spec, and
    /// every outcome the contract allows for it; or why the scenario has no component
    /// form (a core ABI structure, bytes that are no spec) or the oracle does not model it.
    pub fn on_component(&self) -> Result<(Vec<u8>, Vec<Summary>), Ambiguous> {
        if self.abi == Abi::Component {
            return Ok((self.bytes(), self.expected_any()?));
        }
        let Module::Spec(spec) = &self.module else {
            return Err(Ambiguous("bytes that are no generator spec".into()));
        };
        let bytes = crate::canonical::component(spec)
            .map_err(|why| Ambiguous(format!("the spec has no component form: {why}")))?;
        let steps = self.script.steps();
        let all = oracle::expect_steps_any(
            Modelled::Component(spec),
            self.profile,
            &self.limits,
            &steps,
        )?;
        Ok((bytes, all))
    }

    /// The outcome the contract requires; `Ambiguous` where more than one conforms.
    pub fn expected(&self) -> Result<Summary, Ambiguous> {
        oracle::expect(self.modelled(), self.profile, &self.limits, &self.script)
    }

    /// Every outcome the contract allows: one, but where the engine's fuel cost decides
    /// (see `oracle::expect_steps_any`).
    pub fn expected_any(&self) -> Result<Vec<Summary>, Ambiguous> {
        oracle::expect_steps_any(
            self.modelled(),
            self.profile,
            &self.limits,
            &self.script.steps(),
        )
    }

    /// `lifecycle-kit trace` flags that run this scenario (after the module path).
    pub fn trace_flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        let mut flag = |name: &str, value: String| {
            flags.push(format!("--{name}"));
            flags.push(value);
        };
        if self.abi != Abi::default() {
            flag("abi", self.abi.to_string());
        }
        if self.profile != Profile::default() {
            flag("profile", self.profile.to_string());
        }
        // The limits that differ from the defaults, the wall clocks last, then stop's.
        let (durations, numbers): (Vec<_>, Vec<_>) = self
            .limits
            .flags_differing_from(&Limits::default())
            .into_iter()
            .partition(|f| f.name.duration);
        for f in numbers.into_iter().chain(durations) {
            flag(f.name.flag, f.value);
        }
        if self.script.stop_timeout != Script::default().stop_timeout {
            flag(
                "stop-timeout-ms",
                self.script.stop_timeout.as_millis().to_string(),
            );
        }
        for m in &self.script.messages {
            flag("send", String::from_utf8_lossy(m).into_owned());
        }
        if self.script.health {
            flags.push("--health".into());
        }
        flags
    }

    /// The command that replays this scenario from its written `.wasm` file.
    pub fn repro(&self) -> String {
        let mut words = vec![
            "lifecycle-kit".to_string(),
            "trace".into(),
            format!("{}.wasm", self.name),
        ];
        words.extend(self.trace_flags().into_iter().map(|w| shell_quote(&w)));
        words.push("--json".into());
        words.join(" ")
    }

    /// `NAME.json`: the expected outcome in the `trace --json` shape (or, where the
    /// engine's fuel cost decides, `{"any_of": [...]}` with each conforming outcome), plus
    /// what the scenario is and how to replay it.
    pub fn expectation_json(&self) -> Result<Value, Ambiguous> {
        let mut all = self.expected_any()?;
        let mut v = match all.len() {
            1 => all.remove(0).to_json(),
            _ => json!({"any_of": all.iter().map(Summary::to_json).collect::<Vec<_>>()}),
        };
        v["name"] = json!(self.name);
        v["clause"] = json!(self.clause);
        v["description"] = json!(self.description);
        v["profile"] = json!(self.profile);
        v["limits"] = self.limits.to_json();
        v["script"] = json!({
            "messages_hex": self.script.messages.iter().map(|m| hex(m)).collect::<Vec<_>>(),
            "health": self.script.health,
            "stop_timeout_ms": self.script.stop_timeout.as_millis() as u64,
        });
        v["repro"] = json!(self.repro());
        Ok(v)
    }
}

/// A word as a POSIX shell reads it back: bare when safe, else in single quotes. The one
/// quoting of every command line the kit prints for a person to run again.
pub fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
