//! The stylesheet and scripts, embedded in the binary and served under names that carry a
//! hash of their content: a browser may keep them for a year, yet an upgraded binary's
//! pages name new files, so nobody runs a stale copy.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    stem: &'static str,
    ext: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset {
        stem: "app",
        ext: "css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/app.css"),
    },
    Asset {
        stem: "app",
        ext: "js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/app.js"),
    },
    Asset {
        stem: "live",
        ext: "js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/live.js"),
    },
    Asset {
        stem: "htmx",
        ext: "js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/htmx.min.js"),
    },
];

/// Where the pages find each asset.
#[derive(Debug)]
pub struct Urls {
    /// The stylesheet.
    pub css: String,
    /// The page behaviour htmx does not cover.
    pub app_js: String,
    /// Live updates from the server's event stream.
    pub live_js: String,
    /// htmx.
    pub htmx_js: String,
}

/// The served file name of an asset: `app.0123456789abcdef.css`.
fn file_name(a: &Asset) -> String {
    // FNV-1a: stable across builds and toolchains, which std's hasher does not promise.
    let hash = a.bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{}.{hash:016x}.{}", a.stem, a.ext)
}

/// The served file names, in the order of [`ASSETS`], hashed once.
fn file_names() -> &'static [String; 4] {
    static NAMES: OnceLock<[String; 4]> = OnceLock::new();
    NAMES.get_or_init(|| ASSETS.each_ref().map(file_name))
}

/// The asset URLs of this binary.
pub fn urls() -> &'static Urls {
    static URLS: OnceLock<Urls> = OnceLock::new();
    URLS.get_or_init(|| {
        let [css, app_js, live_js, htmx_js] =
            file_names().each_ref().map(|n| format!("/assets/{n}"));
        Urls {
            css,
            app_js,
            live_js,
            htmx_js,
        }
    })
}

/// `GET /assets/{file}`: an embedded asset, cacheable for a year.
pub async fn serve(Path(file): Path<String>) -> Response {
    let Some(asset) = ASSETS
        .iter()
        .zip(file_names())
        .find_map(|(a, n)| (*n == file).then_some(a))
    else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.bytes,
    )
        .into_response()
}
