//! The bundle's env vars: every definition by every active integration,
//! resolved in dependency order, with cycles and conflicts reported.
//!
//! A var that cannot be resolved (a cycle, an undefined name, a missing
//! secret, a conflict) is left out of the bundle, and so is every var that
//! references it; only the root cause is reported, once, where it is, so
//! the report points at what to fix instead of at its echoes.
use crate::ProblemKind;
use crate::expand::{Expander, Lookup, Resolved};
use crate::order::dependency_order;
use crate::place::Place;
use crate::template::{Piece, Pieces};
use indexmap::IndexMap;
use patchbay_domain::Integration;

/// One integration's definition of an env var.
#[derive(Clone, Copy)]
struct Definition<'a> {
    integration: &'a str,
    source: Source<'a>,
}

#[derive(Clone, Copy)]
enum Source<'a> {
    /// A value of `config.env_vars`.
    Template(&'a str),
    /// The `index`th entry of `config.secrets`: the vault secret of the same name.
    Listed { index: usize },
}

impl<'a> Definition<'a> {
    fn place(self, var: &'a str) -> Place<'a> {
        let integration = self.integration;
        match self.source {
            Source::Template(_) => Place::EnvVar { integration, var },
            Source::Listed { index } => Place::ListedSecret { integration, index },
        }
    }

    fn template(self) -> Option<&'a str> {
        match self.source {
            Source::Template(template) => Some(template),
            Source::Listed { .. } => None,
        }
    }
}

enum Slot {
    Pending,
    Broken,
    Ready(Resolved),
}

/// The env vars of a bundle, once resolved.
pub(crate) struct EnvVars<'a> {
    /// By name, in bundle order: integrations in the order given, each one's
    /// `env_vars` then its `secrets`; a name takes the place it first has.
    definitions: IndexMap<&'a str, Vec<Definition<'a>>>,
    /// Parallel to `definitions`.
    slots: Vec<Slot>,
}

impl<'a> EnvVars<'a> {
    pub(crate) fn resolve(active: &[&'a Integration], expander: &mut Expander<'a, '_>) -> Self {
        let definitions = collect(active);
        let deps: Vec<Vec<usize>> =
            definitions.values().map(|defs| dependencies(&definitions, defs)).collect();
        let order = dependency_order(&deps);
        let mut env = Self { slots: definitions.keys().map(|_| Slot::Pending).collect(), definitions };
        for cycle in &order.cycles {
            expander.report(env.cycle_problem(cycle));
            for &node in cycle {
                env.slots[node] = Slot::Broken;
            }
        }
        for node in order.nodes {
            // Vars on a cycle are still expanded, for the other problems their
            // values may hold; their result is dropped.
            let slot = env.evaluate(node, expander);
            if matches!(env.slots[node], Slot::Pending) {
                env.slots[node] = slot;
            }
        }
        env
    }

    /// How many distinct names are defined, resolved or not.
    pub(crate) fn len(&self) -> usize {
        self.definitions.len()
    }

    /// What `name` stands for in a template.
    pub(crate) fn lookup(&self, name: &str) -> Lookup<'_> {
        match self.definitions.get_index_of(name).map(|index| &self.slots[index]) {
            None => Lookup::Undefined,
            Some(Slot::Ready(resolved)) => Lookup::Ready(resolved),
            Some(Slot::Pending | Slot::Broken) => Lookup::Broken,
        }
    }

    /// The resolved vars, in bundle order.
    pub(crate) fn into_resolved(self) -> impl Iterator<Item = (&'a str, Resolved)> {
        self.definitions.into_keys().zip(self.slots).filter_map(|(name, slot)| match slot {
            Slot::Ready(resolved) => Some((name, resolved)),
            Slot::Pending | Slot::Broken => None,
        })
    }

    /// Resolves every definition of var `node`; they must agree.
    fn evaluate(&self, node: usize, expander: &mut Expander<'a, '_>) -> Slot {
        let (&name, definitions) = self.definitions.get_index(node).expect("node of the graph");
        let mut values: Vec<(Definition<'a>, Option<Resolved>)> = Vec::with_capacity(definitions.len());
        for &definition in definitions {
            let place = definition.place(name);
            let value = match definition.source {
                Source::Template(template) => expander.expand(template, place, |name| self.lookup(name)),
                Source::Listed { .. } => expander.secret_value(name, place),
            };
            values.push((definition, value));
        }
        let mut resolved: Vec<(Definition<'a>, Resolved)> = Vec::with_capacity(values.len());
        for (definition, value) in values {
            match value {
                Some(value) => resolved.push((definition, value)),
                None => return Slot::Broken,
            }
        }
        let mut definitions = resolved.into_iter();
        let Some((first, mut agreed)) = definitions.next() else { return Slot::Broken };
        let mut conflict = false;
        for (other, value) in definitions {
            if value.value == agreed.value {
                // Equal values: the var is masked if any definition is secret.
                agreed.from_secret |= value.from_secret;
            } else {
                conflict = true;
                expander.report(
                    other
                        .place(name)
                        .problem(ProblemKind::EnvVarConflict, conflict_message(name, first, other)),
                );
            }
        }
        if conflict { Slot::Broken } else { Slot::Ready(agreed) }
    }

    /// `A -> B -> C -> A`, located at the definition of the first var that
    /// references the second.
    fn cycle_problem(&self, cycle: &[usize]) -> crate::Problem {
        let name = |node: usize| *self.definitions.get_index(node).expect("node of the graph").0;
        let mut message: Vec<&str> = cycle.iter().map(|&node| name(node)).collect();
        message.push(name(cycle[0]));
        let (first, next) = (name(cycle[0]), name(cycle[1 % cycle.len()]));
        let definitions = &self.definitions[cycle[0]];
        let definition = definitions
            .iter()
            .find(|definition| {
                definition.template().is_some_and(|template| {
                    Pieces::new(template)
                        .any(|piece| matches!(piece, Piece::Env { name, .. } if name == next))
                })
            })
            .unwrap_or(&definitions[0]);
        let message = format!("env vars reference each other in a cycle: {}", message.join(" -> "));
        definition.place(first).problem(ProblemKind::ReferenceCycle, message)
    }
}

fn collect<'a>(active: &[&'a Integration]) -> IndexMap<&'a str, Vec<Definition<'a>>> {
    let mut definitions: IndexMap<&'a str, Vec<Definition<'a>>> = IndexMap::new();
    for integration in active {
        let config = &integration.config;
        let integration = integration.name.as_str();
        for (var, template) in &config.env_vars {
            let definition = Definition { integration, source: Source::Template(template) };
            definitions.entry(var.as_str()).or_default().push(definition);
        }
        for (index, secret) in config.secrets.iter().enumerate() {
            let definition = Definition { integration, source: Source::Listed { index } };
            definitions.entry(secret.as_str()).or_default().push(definition);
        }
    }
    definitions
}

/// The vars that the definitions of one var reference, each once; undefined
/// names are left to expansion to report.
fn dependencies(all: &IndexMap<&str, Vec<Definition<'_>>>, definitions: &[Definition<'_>]) -> Vec<usize> {
    let mut deps = Vec::new();
    for template in definitions.iter().filter_map(|definition| definition.template()) {
        for piece in Pieces::new(template) {
            if let Piece::Env { name, .. } = piece
                && let Some(index) = all.get_index_of(name)
                && !deps.contains(&index)
            {
                deps.push(index);
            }
        }
    }
    deps
}

fn conflict_message(var: &str, first: Definition<'_>, other: Definition<'_>) -> String {
    if first.integration == other.integration {
        format!(
            "env var `{var}` is defined twice by integration `{}`, with different values",
            first.integration
        )
    } else {
        format!(
            "env var `{var}` is defined differently by integrations `{}` and `{}`",
            first.integration, other.integration
        )
    }
}
