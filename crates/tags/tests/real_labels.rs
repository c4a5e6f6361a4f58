//! The importers on the real label files under fixtures/real: OFAC's per-asset
//! lists, the SDN advanced XML (its excerpt, and the whole bzip2-compressed file,
//! checked against the addresses derived from it independently), and every
//! GraphSense TagPack.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use tags::import::{Format, parse};
use tags::{Category, Parsed};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/real")
}

fn read(path: &Path, format: Format) -> Parsed {
    parse(format, &std::fs::read_to_string(path).unwrap(), "test", "2026-11-28").unwrap()
}

#[test]
fn ofac_lists_import_every_bitcoin_address_and_report_the_rest_by_line() {
    let dir = fixtures().join("sanctions/ofac_0xB10C");
    let txt = read(&dir.join("sanctioned_addresses_XBT.txt"), Format::OfacList);
    // 435 entries, one of them a TRON address OFAC listed as XBT (PROVENANCE.md).
    assert_eq!(txt.labels.len(), 434);
    assert_eq!(txt.rejected.len(), 1);
    let bad = &txt.rejected[0];
    let line = std::fs::read_to_string(dir.join("sanctioned_addresses_XBT.txt"))
        .unwrap()
        .lines()
        .nth(bad.line - 1)
        .unwrap()
        .to_owned();
    assert_eq!(line, "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq");
    assert!(txt.labels.iter().all(|l| l.category == Category::Sanctioned && l.confidence == 100));
    let json = read(&dir.join("sanctioned_addresses_XBT.json"), Format::OfacList);
    let addresses = |p: &Parsed| p.labels.iter().map(|l| l.address.clone()).collect::<BTreeSet<String>>();
    assert_eq!(addresses(&json), addresses(&txt));
    // Another asset's list holds no Bitcoin address: all rejected, none imported.
    let eth = read(&dir.join("sanctioned_addresses_ETH.txt"), Format::OfacList);
    assert!(eth.labels.is_empty() && !eth.rejected.is_empty());
}

#[test]
fn sdn_xml_gives_each_xbt_address_its_profiles_name() {
    let dir = fixtures().join("sanctions/ofac_sdn_advanced");
    let parsed = read(&dir.join("sdn_advanced_2025-11-19_excerpt_lazarus_and_crypto.xml"), Format::OfacSdnXml);
    // The expected output, derived from the full XML, for the excerpt's profiles.
    let derived: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("derived_digital_currency_addresses_by_profile.json")).unwrap())
            .unwrap();
    let in_excerpt = ["27307", "28263", "28264", "42496", "44437", "37070", "25308", "29585"];
    let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
    for profile in derived["profiles"].as_array().unwrap() {
        let id = profile["fixed_ref"].as_str().or(profile["profile_id"].as_str()).unwrap_or_default();
        if !in_excerpt.contains(&id) {
            continue;
        }
        for a in profile["addresses"].as_array().unwrap() {
            if a["currency"] == "XBT" {
                expected.insert((
                    a["address"].as_str().unwrap().to_owned(),
                    profile["primary_name"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    let got: BTreeSet<(String, String)> = parsed.labels.iter().map(|l| (l.address.clone(), l.label.clone())).collect();
    assert_eq!(got, expected);
    assert!(got.iter().any(|(_, name)| name.contains("Tian") || name.contains("TIAN")), "{got:?}");
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
}

#[test]
fn the_whole_sdn_xml_bz2_gives_every_xbt_address_the_derived_list_holds() {
    let dir = fixtures().join("sanctions/ofac_sdn_advanced");
    let path = dir.join("sdn_advanced.xml.bz2");
    assert_eq!(Format::guess(&path), Some(Format::OfacSdnXml));
    let parsed = tags::read_file(&path, Format::OfacSdnXml, "test", "2026-11-28").unwrap();
    let derived: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("derived_digital_currency_addresses_by_profile.json")).unwrap())
            .unwrap();
    let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
    for profile in derived["profiles"].as_array().unwrap() {
        for a in profile["addresses"].as_array().unwrap() {
            if a["currency"] == "XBT" {
                let name = profile["primary_name"].as_str().unwrap().to_owned();
                expected.insert((a["address"].as_str().unwrap().to_owned(), name));
            }
        }
    }
    // The one XBT-tagged TRON address (the derived list's caveat) is reported, not imported.
    let tron = "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq";
    assert!(expected.iter().any(|(a, _)| a == tron));
    expected.retain(|(a, _)| a != tron);
    let got: BTreeSet<(String, String)> = parsed.labels.iter().map(|l| (l.address.clone(), l.label.clone())).collect();
    assert_eq!(got, expected);
    let unique: BTreeSet<&str> = got.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(unique.len(), 516, "517 unique XBT addresses in the derived list, less the TRON one");
    assert_eq!(parsed.rejected.len(), 1, "{:?}", parsed.rejected);
    assert!(parsed.rejected[0].reason.contains(tron), "{:?}", parsed.rejected);
    // The line in the decompressed XML (`bzcat ... | grep -n`).
    assert_eq!(parsed.rejected[0].line, 1_784_431);
}

#[test]
fn every_tagpack_imports_with_its_categories() {
    let dir = fixtures().join("labels/graphsense_tagpacks");
    let mut by_file: HashMap<String, Parsed> = HashMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let parsed =
                parse(Format::Tagpack, &text, "tp", "2026-11-28").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // Every tag is either imported or reported.
            let tags = text.lines().filter(|l| l.trim_start().trim_start_matches("- ").starts_with("address:")).count();
            assert_eq!(parsed.labels.len() + parsed.rejected.len(), tags, "{}", path.display());
            assert!(parsed.rejected.iter().all(|r| r.line > 0), "{}", path.display());
            by_file.insert(path.file_name().unwrap().to_string_lossy().into_owned(), parsed);
        }
    }
    let categories = |name: &str| by_file[name].labels.iter().map(|l| l.category).collect::<BTreeSet<Category>>();
    assert_eq!(categories("lazarus.yaml"), BTreeSet::from([Category::Sanctioned]));
    assert_eq!(by_file["lazarus.yaml"].labels.len(), 20, "20 BTC tags, the ETH one reported");
    assert_eq!(categories("exchange-wallets-binance.yaml"), BTreeSet::from([Category::Exchange]));
    assert_eq!(categories("blender_io.yaml"), BTreeSet::from([Category::Mixer]));
    assert!(categories("ransomwhere.yaml").contains(&Category::Ransomware));
    assert_eq!(categories("binance_hack.yaml"), BTreeSet::from([Category::Theft]));
    let lazarus = &by_file["lazarus.yaml"].labels[0];
    assert_eq!(
        (lazarus.label.as_str(), lazarus.confidence, lazarus.actor.as_deref()),
        ("Lazarus group", 60, Some("lazarusgroup"))
    );
}
