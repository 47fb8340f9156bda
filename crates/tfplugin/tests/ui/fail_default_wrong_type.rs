use tfplugin::{Model, Val};

/// A widget.
#[derive(Model, Clone, Debug)]
pub struct Widget {
    /// Whether it is enabled.
    #[tf(default = "yes")]
    pub enabled: Val<bool>,
}

fn main() {}
