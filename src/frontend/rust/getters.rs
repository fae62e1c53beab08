//! Getter methods that derive macros generate for a struct's fields: `#[derive(Getters)]` of
//! getset (fields or the struct marked `#[getset(get = "pub")]`, `#[get = "pub"]`,
//! `get_copy`, `get_mut`) and of derive-getters (every named field, unless
//! `#[getter(skip)]`). `x.field()` then hands back the field (by reference), so a call on its
//! value is a call on the field's type.

/// The fields of a struct with these attributes that a derived getter of the field's name
/// reads.
pub fn derived(attrs: &[syn::Attribute], fields: &syn::Fields) -> Vec<String> {
    if !attrs.iter().any(derives_getters) {
        return Vec::new();
    }
    // getset generates only what its attributes ask for; derive-getters, which has none of
    // them, one getter per field.
    let getset =
        attrs.iter().any(is_getset_get) || fields.iter().any(|f| f.attrs.iter().any(is_getset_get));
    let whole = !getset || attrs.iter().any(is_getset_get);
    fields
        .iter()
        .filter_map(|f| {
            let name = f.ident.as_ref()?.to_string();
            let wanted = match getset {
                true => whole || f.attrs.iter().any(is_getset_get),
                false => !f.attrs.iter().any(skips_getter),
            };
            wanted.then_some(name)
        })
        .collect()
}

/// `#[derive(.., Getters, ..)]` (also `CopyGetters`, `MutGetters`, by any path).
fn derives_getters(a: &syn::Attribute) -> bool {
    if !a.path().is_ident("derive") {
        return false;
    }
    let mut found = false;
    let _ = a.parse_nested_meta(|m| {
        let last = m.path.segments.last().map(|s| s.ident.to_string());
        found |= matches!(
            last.as_deref(),
            Some("Getters" | "CopyGetters" | "MutGetters")
        );
        Ok(())
    });
    found
}

/// getset's getter attributes: `#[get = "pub"]`, `#[get_copy]`, `#[get_mut]`, or `#[getset(..)]`
/// naming one of them.
fn is_getset_get(a: &syn::Attribute) -> bool {
    let path = a.path();
    if ["get", "get_copy", "get_mut"]
        .iter()
        .any(|n| path.is_ident(n))
    {
        return true;
    }
    if !path.is_ident("getset") {
        return false;
    }
    let mut found = false;
    let _ = a.parse_nested_meta(|m| {
        found |= ["get", "get_copy", "get_mut"]
            .iter()
            .any(|n| m.path.is_ident(n));
        if m.input.peek(syn::Token![=]) {
            let _: syn::Expr = m.value()?.parse()?;
        }
        Ok(())
    });
    found
}

/// derive-getters' `#[getter(skip)]`.
fn skips_getter(a: &syn::Attribute) -> bool {
    a.path().is_ident("getter")
        && a.meta
            .require_list()
            .is_ok_and(|l| l.tokens.to_string() == "skip")
}

#[cfg(test)]
mod tests {
    use super::derived;

    fn fields_of(src: &str) -> Vec<String> {
        let s: syn::ItemStruct = syn::parse_str(src).unwrap();
        derived(&s.attrs, &s.fields)
    }

    #[test]
    fn getters_by_derive() {
        let all = "#[derive(Getters)] #[getset(get = \"pub\")] struct A { a: u8, b: u8 }";
        assert_eq!(fields_of(all), ["a", "b"]);
        let one = "#[derive(Getters)] struct A { #[get = \"pub\"] a: u8, b: u8 }";
        assert_eq!(fields_of(one), ["a"]);
        let plain = "#[derive(Getters)] struct A { a: u8, #[getter(skip)] b: u8 }";
        assert_eq!(fields_of(plain), ["a"]);
        assert!(fields_of("#[derive(Debug)] struct A { a: u8 }").is_empty());
    }
}
