use tfplugin::{Model, Val};

/// Where it lives.
#[derive(Model, Clone, Debug)]
pub struct Scope {
    /// Organization.
    #[tf(optional)]
    pub org_id: Val<String>,
}

/// A widget.
#[derive(Model, Clone, Debug)]
pub struct Widget {
    /// Project; needs an organization.
    #[tf(optional, also_requires("org"))]
    pub project_id: Val<String>,
    #[tf(flatten)]
    pub scope: Scope,
}

fn main() {}
