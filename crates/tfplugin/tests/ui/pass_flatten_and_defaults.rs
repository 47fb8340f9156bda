//! Siblings from a flattened group, blocks inside a flattened group, and typed defaults.
use tfplugin::tf::schema::Nesting;
use tfplugin::tf::Value;
use tfplugin::{Model, Val};

/// A timeout setting.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Limits {
    /// How long.
    #[tf(optional)]
    pub wait: Val<String>,
}

/// Where it lives.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Scope {
    /// Organization.
    #[tf(optional)]
    pub org_id: Val<String>,
    /// Project; needs `org_id`.
    #[tf(optional, also_requires("org_id"))]
    pub project_id: Val<String>,
    /// Limits.
    #[tf(block)]
    pub limits: Val<Limits>,
}

/// A widget.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct Widget {
    /// Name.
    #[tf(default = "w")]
    pub name: Val<String>,
    /// Size.
    #[tf(default = 3)]
    pub size: Val<i64>,
    /// Enabled.
    #[tf(default = true)]
    pub enabled: Val<bool>,
    /// Account-wide: no organization or project.
    #[tf(optional, conflicts_with("org_id", "project_id"))]
    pub global: Val<bool>,
    #[tf(flatten)]
    pub scope: Scope,
}

fn main() {
    let schema = Widget::schema();
    assert_eq!(schema.validate(true), Vec::<String>::new());
    let names: Vec<&str> = schema.block.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["name", "size", "enabled", "global", "org_id", "project_id"]);
    assert_eq!(schema.block.blocks.len(), 1);
    assert_eq!(schema.block.blocks[0].nesting, Nesting::Single);
    assert!(Widget::__tf_has_attribute("org_id") && !Widget::__tf_has_attribute("limits"));
    let w = Widget {
        name: Val::Known("a".into()),
        size: Val::Null,
        enabled: Val::Known(false),
        global: Val::Null,
        scope: Scope {
            org_id: Val::Known("o".into()),
            project_id: Val::Null,
            limits: Val::Known(Limits { wait: Val::Known("1m".into()) }),
        },
    };
    let v = tfplugin::typed::TfType::to_value(&w);
    assert!(matches!(v.attr("limits"), Value::Object(_)));
    assert_eq!(Widget::from_object(&v), Ok(w));
}
