//! The generated guest side of `ils:platform@0.3.0`: 0.2.0's interfaces (`ils::platform0_2_0`),
//! which 0.3.0 includes unchanged, and the two extension points 0.3.0 added
//! (`exports::ils::platform0_3_0`). Not part of the SDK's API: plugins use the typed wrappers in
//! the crate root, and the export macro.

#![allow(missing_docs, unsafe_code, unused_qualifications, clippy::all)]

wit_bindgen::generate!({
    path: ["../wit/v0.2.0", "../wit/v0.3.0"],
    world: "ils:platform/plugin@0.3.0",
    pub_export_macro: true,
    export_macro_name: "__export_world",
    default_bindings_module: "::ils_plugin_sdk::__bindings",
    generate_all,
});
