extern crate self as redress_sdk;
#[cfg(target_arch = "wasm32")]
pub mod bindings {
    wit_bindgen::generate!({
        world: "compliance-plugin",
        path: "wit",
        pub_export_macro: true,
        export_macro_name: "__export_compliance_world",
        default_bindings_module: "::redress_sdk::bindings",
        runtime_path: "::redress_sdk::__private::wit_bindgen::rt",
    });
}
#[doc(hidden)]
pub mod __private {
    #[cfg(target_arch = "wasm32")]
    pub use wit_bindgen;
}
