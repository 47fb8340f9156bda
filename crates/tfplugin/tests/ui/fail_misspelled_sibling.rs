use tfplugin::{Model, Val};

/// A widget.
#[derive(Model, Clone, Debug)]
pub struct Widget {
    /// Name.
    #[tf(optional, conflicts_with("nmae_prefix"))]
    pub name: Val<String>,
    /// Name prefix.
    #[tf(optional)]
    pub name_prefix: Val<String>,
}

fn main() {}
