//! The dependency graph (petgraph) and a deterministic topological order: among the
//! objects that are ready, the one with the smallest (kind, name) comes first. On a
//! cycle every member is reported (strongly connected components), not just one.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::ir::{DomainId, Ir, ObjKind, ObjRef};

/// One statement group in the output, pointing into the IR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Enum(usize),
    Table(usize),
    Function(usize),
    View(usize),
    /// A foreign key added after both tables exist because it is part of a cycle.
    DeferredFk {
        table: usize,
        fk: usize,
    },
    Trigger {
        table: usize,
        trigger: usize,
    },
    Policy {
        table: usize,
        policy: usize,
    },
    /// The objects a domain puts on an external table (`ir.on_external`).
    OnExternal(usize),
    Raw(usize),
}

impl Node {
    /// Tie-break rank: among ready objects, types first, policies last.
    fn rank(self) -> u8 {
        match self {
            Node::Enum(_) => 0,
            Node::Table(_) => 1,
            Node::DeferredFk { .. } => 2,
            Node::Function(_) => 3,
            Node::View(_) => 4,
            Node::Trigger { .. } => 5,
            Node::Policy { .. } => 6,
            Node::OnExternal(_) => 7,
            Node::Raw(_) => 8,
        }
    }
}

/// The creation order of a whole project.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub order: Vec<Node>,
    pub domain_order: Vec<DomainId>,
    /// (table, foreign key) pairs that are emitted as `ALTER TABLE` after the tables.
    pub deferred_fks: BTreeSet<(usize, usize)>,
    /// (a, b): domain b reads objects of domain a, or declares that it depends on a.
    pub domain_edges: BTreeSet<(DomainId, DomainId)>,
}

impl Plan {
    pub fn domain_of(ir: &Ir, node: Node) -> DomainId {
        match node {
            Node::Enum(i) => ir.enums[i].domain,
            Node::Table(i)
            | Node::DeferredFk { table: i, .. }
            | Node::Trigger { table: i, .. }
            | Node::Policy { table: i, .. } => ir.tables[i].domain,
            Node::Function(i) => ir.functions[i].domain,
            Node::View(i) => ir.views[i].domain,
            Node::OnExternal(i) => ir.on_external[i].domain,
            Node::Raw(i) => ir.raws[i].domain,
        }
    }
}

/// What a node is, for messages, and where the TOML declares it.
pub fn describe(ir: &Ir, node: Node) -> (String, Loc) {
    match node {
        Node::Enum(i) => (
            format!("enum `{}`", ir.enums[i].name.name),
            ir.enums[i].loc.clone(),
        ),
        Node::Table(i) => (
            format!("table `{}`", ir.tables[i].name.name),
            ir.tables[i].loc.clone(),
        ),
        Node::Function(i) => (
            format!("function `{}`", ir.functions[i].name.name),
            ir.functions[i].loc.clone(),
        ),
        Node::View(i) => (
            format!("view `{}`", ir.views[i].name.name),
            ir.views[i].loc.clone(),
        ),
        Node::DeferredFk { table, fk } => (
            format!("foreign key `{}`", ir.tables[table].foreign_keys[fk].name),
            ir.tables[table].foreign_keys[fk].loc.clone(),
        ),
        Node::Trigger { table, trigger } => (
            format!("trigger `{}`", ir.tables[table].triggers[trigger].name),
            ir.tables[table].triggers[trigger].loc.clone(),
        ),
        Node::Policy { table, policy } => (
            format!("policy `{}`", ir.tables[table].policies[policy].name),
            ir.tables[table].policies[policy].loc.clone(),
        ),
        Node::OnExternal(i) => (
            format!(
                "the objects on external table `{}`",
                ir.on_external[i].table
            ),
            ir.on_external[i].loc.clone(),
        ),
        Node::Raw(i) => (
            format!("raw SQL `{}`", ir.raws[i].name),
            ir.raws[i].loc.clone(),
        ),
    }
}

fn sort_name(ir: &Ir, node: Node) -> String {
    let qualified = |q: &crate::ir::QName, member: Option<&str>| {
        let mut s = String::with_capacity(q.schema.len() + q.name.len() + 34);
        s.extend([q.schema.as_str(), ".", q.name.as_str()]);
        if let Some(m) = member {
            s.extend([".", m]);
        }
        s
    };
    match node {
        Node::Enum(i) => qualified(&ir.enums[i].name, None),
        Node::Table(i) => qualified(&ir.tables[i].name, None),
        Node::Function(i) => qualified(&ir.functions[i].name, None),
        Node::View(i) => qualified(&ir.views[i].name, None),
        Node::DeferredFk { table, fk } => qualified(
            &ir.tables[table].name,
            Some(&ir.tables[table].foreign_keys[fk].name),
        ),
        Node::Trigger { table, trigger } => qualified(
            &ir.tables[table].name,
            Some(&ir.tables[table].triggers[trigger].name),
        ),
        Node::Policy { table, policy } => qualified(
            &ir.tables[table].name,
            Some(&ir.tables[table].policies[policy].name),
        ),
        Node::OnExternal(i) => {
            let o = &ir.on_external[i];
            // Two domains may put objects on one table: the domain keeps them apart.
            format!("{}#{:08}", qualified(&o.table, None), o.domain.0)
        }
        Node::Raw(i) => ir.raws[i].name.clone(),
    }
}

/// Orders every object so each comes after what it depends on. Foreign-key cycles
/// between tables are broken by adding those keys after the tables; any other cycle
/// is an error naming every object in it. Returns `None` when it reported an error.
pub fn order_by_dependencies(ir: &Ir, diags: &mut Diagnostics) -> Option<Plan> {
    let deferred = fk_cycles(ir);
    let mut nodes: Vec<Node> = Vec::new();
    nodes.extend((0..ir.enums.len()).map(Node::Enum));
    nodes.extend((0..ir.tables.len()).map(Node::Table));
    nodes.extend((0..ir.functions.len()).map(Node::Function));
    nodes.extend((0..ir.views.len()).map(Node::View));
    nodes.extend(
        deferred
            .iter()
            .map(|&(table, fk)| Node::DeferredFk { table, fk }),
    );
    for (t, table) in ir.tables.iter().enumerate() {
        nodes.extend((0..table.triggers.len()).map(|trigger| Node::Trigger { table: t, trigger }));
        nodes.extend((0..table.policies.len()).map(|policy| Node::Policy { table: t, policy }));
    }
    nodes.extend((0..ir.on_external.len()).map(Node::OnExternal));
    nodes.extend((0..ir.raws.len()).map(Node::Raw));
    let mut keyed: Vec<(u8, String, Node)> = nodes
        .into_iter()
        .map(|n| (n.rank(), sort_name(ir, n), n))
        .collect();
    keyed.sort();

    let mut graph: DiGraph<Node, ()> = DiGraph::new();
    let mut index: BTreeMap<Node, NodeIndex> = BTreeMap::new();
    for (_, _, n) in &keyed {
        index.insert(*n, graph.add_node(*n));
    }
    let mut by_ref: BTreeMap<ObjRef, Node> = BTreeMap::new();
    for (i, e) in ir.enums.iter().enumerate() {
        by_ref.insert(
            ObjRef {
                kind: ObjKind::Enum,
                name: e.name.clone(),
            },
            Node::Enum(i),
        );
    }
    for (i, t) in ir.tables.iter().enumerate() {
        by_ref.insert(
            ObjRef {
                kind: ObjKind::Table,
                name: t.name.clone(),
            },
            Node::Table(i),
        );
    }
    for (i, f) in ir.functions.iter().enumerate() {
        by_ref.insert(
            ObjRef {
                kind: ObjKind::Function,
                name: f.name.clone(),
            },
            Node::Function(i),
        );
    }
    for (i, v) in ir.views.iter().enumerate() {
        by_ref.insert(
            ObjRef {
                kind: ObjKind::View,
                name: v.name.clone(),
            },
            Node::View(i),
        );
    }

    // A raw block by its name, and by each relation and function it creates.
    for (i, r) in ir.raws.iter().enumerate() {
        by_ref.insert(r.obj_ref(), Node::Raw(i));
        for q in &r.creates.relations {
            by_ref.insert(
                ObjRef {
                    kind: ObjKind::Raw,
                    name: q.clone(),
                },
                Node::Raw(i),
            );
        }
    }

    // The raw blocks that add columns to each table, and that create each function.
    let mut adds_columns: BTreeMap<&crate::ir::QName, Vec<usize>> = BTreeMap::new();
    let mut creates_function: BTreeMap<&crate::ir::QName, Vec<usize>> = BTreeMap::new();
    for (i, r) in ir.raws.iter().enumerate() {
        for f in &r.creates.functions {
            creates_function.entry(f).or_default().push(i);
        }
        for (t, _) in &r.creates.columns {
            let list = adds_columns.entry(t).or_default();
            if !list.contains(&i) {
                list.push(i);
            }
        }
    }

    // Edge dep -> dependent.
    let mut edges: BTreeSet<(Node, Node)> = BTreeSet::new();
    let add = |edges: &mut BTreeSet<(Node, Node)>,
               deps: &BTreeSet<ObjRef>,
               to: Node,
               skip: &BTreeSet<ObjRef>| {
        for d in deps {
            if skip.contains(d) {
                continue;
            }
            if let Some(from) = by_ref.get(d) {
                if *from != to {
                    edges.insert((*from, to));
                }
            }
        }
    };
    let none = BTreeSet::new();
    for (i, t) in ir.tables.iter().enumerate() {
        // Keys broken out of a cycle do not make the table wait for its target.
        let skip: BTreeSet<ObjRef> = t
            .foreign_keys
            .iter()
            .enumerate()
            .filter(|(k, _)| deferred.contains(&(i, *k)))
            .map(|(_, fk)| ObjRef {
                kind: ObjKind::Table,
                name: fk.target.clone(),
            })
            .filter(|r| {
                !t.foreign_keys
                    .iter()
                    .enumerate()
                    .any(|(k, fk)| !deferred.contains(&(i, k)) && fk.target == r.name)
            })
            .collect();
        add(&mut edges, &t.deps, Node::Table(i), &skip);
        for (p, pol) in t.policies.iter().enumerate() {
            add(
                &mut edges,
                &pol.deps,
                Node::Policy {
                    table: i,
                    policy: p,
                },
                &none,
            );
        }
        for (k, tr) in t.triggers.iter().enumerate() {
            let node = Node::Trigger {
                table: i,
                trigger: k,
            };
            edges.insert((Node::Table(i), node));
            let function = |kind| ObjRef {
                kind,
                name: tr.function.clone(),
            };
            if let Some(f) = by_ref.get(&function(ObjKind::Function)) {
                edges.insert((*f, node));
            }
            for r in creates_function.get(&tr.function).into_iter().flatten() {
                edges.insert((Node::Raw(*r), node));
            }
            // A `when` may read the columns raw blocks add to the table.
            for r in adds_columns.get(&t.name).into_iter().flatten() {
                edges.insert((Node::Raw(*r), node));
            }
        }
    }
    for &(t, k) in &deferred {
        let node = Node::DeferredFk { table: t, fk: k };
        edges.insert((Node::Table(t), node));
        let target = &ir.tables[t].foreign_keys[k].target;
        if let Some(n) = by_ref.get(&ObjRef {
            kind: ObjKind::Table,
            name: target.clone(),
        }) {
            edges.insert((*n, node));
        }
    }
    for (i, f) in ir.functions.iter().enumerate() {
        add(&mut edges, &f.deps, Node::Function(i), &none);
    }
    for (i, v) in ir.views.iter().enumerate() {
        add(&mut edges, &v.deps, Node::View(i), &none);
    }
    for (i, o) in ir.on_external.iter().enumerate() {
        add(&mut edges, &o.deps, Node::OnExternal(i), &none);
    }
    for (i, r) in ir.raws.iter().enumerate() {
        add(&mut edges, &r.deps, Node::Raw(i), &none);
    }
    for (a, b) in &edges {
        graph.add_edge(index[a], index[b], ());
    }

    // Nodes were added in (rank, name) order, so a node's index is its tie-break key.
    let order = kahn(&graph);
    if order.len() < graph.node_count() {
        report_cycles(ir, &graph, &order, diags);
        return None;
    }
    let (domain_order, domain_edges) = order_domains(ir, &edges, diags)?;
    Some(Plan {
        order,
        domain_order,
        deferred_fks: deferred,
        domain_edges,
    })
}

/// Kahn's algorithm with a priority queue, so the order is the same on every run.
/// Among ready nodes the one with the lowest index goes first.
fn kahn(graph: &DiGraph<Node, ()>) -> Vec<Node> {
    let mut indegree: Vec<usize> = graph
        .node_indices()
        .map(|n| graph.neighbors_directed(n, petgraph::Incoming).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<NodeIndex>> = graph
        .node_indices()
        .filter(|n| indegree[n.index()] == 0)
        .map(Reverse)
        .collect();
    let mut out = Vec::with_capacity(graph.node_count());
    while let Some(Reverse(n)) = ready.pop() {
        out.push(graph[n]);
        let mut next: Vec<NodeIndex> = graph.neighbors_directed(n, petgraph::Outgoing).collect();
        next.sort();
        next.dedup();
        for m in next {
            indegree[m.index()] -= 1;
            if indegree[m.index()] == 0 {
                ready.push(Reverse(m));
            }
        }
    }
    out
}

fn report_cycles(ir: &Ir, graph: &DiGraph<Node, ()>, done: &[Node], diags: &mut Diagnostics) {
    let done: BTreeSet<Node> = done.iter().copied().collect();
    let mut sccs: Vec<Vec<Node>> = tarjan_scc(graph)
        .into_iter()
        .map(|c| {
            c.into_iter()
                .map(|i| graph[i])
                .filter(|n| !done.contains(n))
                .collect::<Vec<_>>()
        })
        .filter(|c: &Vec<Node>| c.len() > 1)
        .collect();
    for c in &mut sccs {
        c.sort_by_key(|n| (n.rank(), sort_name(ir, *n)));
    }
    sccs.sort_by_key(|c| sort_name(ir, c[0]));
    for members in sccs {
        let described: Vec<(String, Loc)> = members.iter().map(|n| describe(ir, *n)).collect();
        let names = described
            .iter()
            .map(|(d, _)| d.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let mut d = Diagnostic::error("dependency-cycle", format!("these objects depend on each other in a cycle: {names}"))
            .help("break the cycle: one of them must not read the others (foreign-key cycles between tables are handled; cycles through views, functions, policies or defaults are not)");
        for (desc, l) in &described {
            d = d.label(l, format!("{desc} is part of the cycle"));
        }
        diags.push(d);
    }
}

/// Tables in a nontrivial strongly connected component of the foreign-key graph
/// reference each other; the keys between them are added after all of them exist.
fn fk_cycles(ir: &Ir) -> BTreeSet<(usize, usize)> {
    let mut g: DiGraph<usize, ()> = DiGraph::new();
    let idx: Vec<NodeIndex> = (0..ir.tables.len()).map(|i| g.add_node(i)).collect();
    let by_name: BTreeMap<_, usize> = ir
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();
    for (i, t) in ir.tables.iter().enumerate() {
        for fk in &t.foreign_keys {
            if let Some(&j) = by_name.get(&fk.target) {
                if j != i {
                    g.add_edge(idx[j], idx[i], ());
                }
            }
        }
    }
    let mut comp = vec![usize::MAX; ir.tables.len()];
    for (c, members) in tarjan_scc(&g).into_iter().enumerate() {
        if members.len() > 1 {
            for m in members {
                comp[g[m]] = c;
            }
        }
    }
    let mut out = BTreeSet::new();
    for (i, t) in ir.tables.iter().enumerate() {
        for (k, fk) in t.foreign_keys.iter().enumerate() {
            if let Some(&j) = by_name.get(&fk.target) {
                if j != i && comp[i] != usize::MAX && comp[i] == comp[j] {
                    out.insert((i, k));
                }
            }
        }
    }
    out
}

/// Domains in order, and the (from, to) dependencies between them.
type DomainOrder = (Vec<DomainId>, BTreeSet<(DomainId, DomainId)>);

/// Domains in dependency order (from the object edges), checked against `depends_on`.
fn order_domains(
    ir: &Ir,
    edges: &BTreeSet<(Node, Node)>,
    diags: &mut Diagnostics,
) -> Option<DomainOrder> {
    let n = ir.domains.len();
    // actual[b] = domains that b's objects read, with one example edge.
    let mut actual: BTreeMap<(usize, usize), (Node, Node)> = BTreeMap::new();
    for (from, to) in edges {
        let a = Plan::domain_of(ir, *from).0;
        let b = Plan::domain_of(ir, *to).0;
        if a != b {
            actual.entry((a, b)).or_insert((*from, *to));
        }
    }
    let mut ok = true;
    let mut graph_edges: BTreeSet<(usize, usize)> = actual.keys().copied().collect();
    for (b, d) in ir.domains.iter().enumerate() {
        let Some(declared) = &d.depends_on else {
            continue;
        };
        let mut declared_ids = BTreeSet::new();
        for (name, l) in declared {
            match ir.domains.iter().position(|x| &x.name == name) {
                Some(a) => {
                    declared_ids.insert(a);
                    if a != b {
                        graph_edges.insert((a, b));
                    }
                }
                None => {
                    diags.push(
                        Diagnostic::error(
                            "unknown-domain",
                            format!(
                                "domain `{}` depends on `{name}`, which is not a domain",
                                d.name
                            ),
                        )
                        .label(l, "unknown domain")
                        .help("name a domain declared in `domains/`"),
                    );
                    ok = false;
                }
            }
        }
        for ((a, bb), (from, to)) in &actual {
            if *bb == b && !declared_ids.contains(a) {
                let (what, l) = describe(ir, *to);
                let (dep, _) = describe(ir, *from);
                diags.push(
                    Diagnostic::error("undeclared-domain-dependency", format!("{what} in domain `{}` depends on {dep} of domain `{}`, but `depends_on` does not list `{}`", d.name, ir.domains[*a].name, ir.domains[*a].name))
                        .label(&l, "reference across domains")
                        .label(&d.loc, "this domain's `depends_on` is checked against its references")
                        .help(format!("add \"{}\" to `depends_on` of domain `{}`", ir.domains[*a].name, d.name)),
                );
                ok = false;
            }
        }
    }
    let mut g: DiGraph<usize, ()> = DiGraph::new();
    let idx: Vec<NodeIndex> = (0..n).map(|i| g.add_node(i)).collect();
    for (a, b) in &graph_edges {
        g.add_edge(idx[*a], idx[*b], ());
    }
    // Kahn by name over domains.
    let mut indegree: Vec<usize> = (0..n)
        .map(|i| g.neighbors_directed(idx[i], petgraph::Incoming).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<(String, usize)>> = (0..n)
        .filter(|i| indegree[*i] == 0)
        .map(|i| Reverse((ir.domains[i].name.clone(), i)))
        .collect();
    let mut order = Vec::new();
    while let Some(Reverse((_, i))) = ready.pop() {
        order.push(DomainId(i));
        let mut next: Vec<usize> = g
            .neighbors_directed(idx[i], petgraph::Outgoing)
            .map(|m| g[m])
            .collect();
        next.sort();
        next.dedup();
        for m in next {
            indegree[m] -= 1;
            if indegree[m] == 0 {
                ready.push(Reverse((ir.domains[m].name.clone(), m)));
            }
        }
    }
    if order.len() < n {
        for comp in tarjan_scc(&g) {
            if comp.len() < 2 {
                continue;
            }
            let mut members: Vec<usize> = comp.into_iter().map(|m| g[m]).collect();
            members.sort_by_key(|m| ir.domains[*m].name.clone());
            let names = members
                .iter()
                .map(|m| format!("`{}`", ir.domains[*m].name))
                .collect::<Vec<_>>()
                .join(", ");
            let mut d = Diagnostic::error("domain-cycle", format!("domains {names} depend on each other, so they cannot be deployed one after another"))
                .help("move the objects that reference each other into one domain, or remove one direction of the references");
            // The declared `depends_on` entries that close the cycle.
            for m in &members {
                for (dep, l) in ir.domains[*m].depends_on.iter().flatten() {
                    if members.iter().any(|o| ir.domains[*o].name == *dep) {
                        d = d.label(
                            l,
                            format!(
                                "domain `{}` declares that it depends on `{dep}`",
                                ir.domains[*m].name
                            ),
                        );
                    }
                }
            }
            for ((a, b), (from, to)) in &actual {
                if members.contains(a) && members.contains(b) {
                    let (what, l) = describe(ir, *to);
                    let (dep, _) = describe(ir, *from);
                    d = d.label(
                        &l,
                        format!(
                            "{what} (domain `{}`) depends on {dep} (domain `{}`)",
                            ir.domains[*b].name, ir.domains[*a].name
                        ),
                    );
                }
            }
            diags.push(d);
        }
        return None;
    }
    let edges = graph_edges
        .into_iter()
        .map(|(a, b)| (DomainId(a), DomainId(b)))
        .collect();
    ok.then_some((order, edges))
}
