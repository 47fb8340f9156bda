use tfplugin::{Model, Val};

/// A widget.
#[derive(Model, Clone, Debug)]
pub struct Widget {
    /// Name.
    #[tf(required)]
    pub name: Val<String>,
    #[tf(optional)]
    pub size: Val<i64>,
}

fn main() {}
