//! Create, read, update, delete and import, and the wait.

use tfplugin::tf::Diagnostics;

use super::AppSet;
use crate::resources::Ctx;

pub(super) async fn create(
    _ctx: &Ctx,
    _planned: &AppSet,
    diags: &mut Diagnostics,
) -> Option<AppSet> {
    diags.error("Not Implemented", "pending the client");
    None
}

pub(super) async fn read(_ctx: &Ctx, _current: &AppSet, diags: &mut Diagnostics) -> Option<AppSet> {
    diags.error("Not Implemented", "pending the client");
    None
}

pub(super) async fn update(
    _ctx: &Ctx,
    _prior: &AppSet,
    _planned: &AppSet,
    diags: &mut Diagnostics,
) -> Option<AppSet> {
    diags.error("Not Implemented", "pending the client");
    None
}

pub(super) async fn delete(_ctx: &Ctx, _prior: &AppSet, diags: &mut Diagnostics) {
    diags.error("Not Implemented", "pending the client");
}

pub(super) async fn import(_ctx: &Ctx, _id: &str, diags: &mut Diagnostics) -> Option<AppSet> {
    diags.error("Not Implemented", "pending the client");
    None
}
