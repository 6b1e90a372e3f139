//! The enrolment QR code as a `data:` URL for the `totp_qr` image node.

/// A PNG of `text` as a QR code (medium error correction, quiet zone included), base64 in a
/// `data:image/png;base64,` URL. Fails only for texts too long for any QR code.
pub fn data_url(text: &str) -> Result<String, String> {
    let png = qrcodegen_image::draw_base64(text)?;
    Ok(format!("data:image/png;base64,{png}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_data_url() {
        let url = data_url("otpauth://totp/L:a?secret=GEZDGNBVGY3TQOJQ").unwrap();
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        // The base64 of the PNG signature, \x89PNG\r\n\x1a\n.
        assert!(b64.starts_with("iVBORw0KGgo"), "{b64}");
    }

    #[test]
    fn too_long_for_a_qr_code() {
        assert!(data_url(&"x".repeat(8000)).is_err());
    }
}
