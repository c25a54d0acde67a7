use ils_reports::{Format, ReportError, catalogue, params_schema, render};

use crate::memory::Memory;
use crate::{ctx, params};

#[test]
fn the_catalogue_lists_five_reports_for_the_right_roles_in_every_format() {
    let reports = catalogue();
    let ids: Vec<&str> = reports.iter().map(|r| r.id).collect();
    assert_eq!(ids, ["turnaround", "quality", "revenue", "stock", "suppliers"]);
    for report in &reports {
        assert_eq!(report.formats, Format::ALL);
        assert!(report.roles.contains(&"company_admin"));
        let lab = report.roles.contains(&"lab_tech");
        assert_eq!(lab, matches!(report.id, "turnaround" | "quality"), "{}", report.id);
        assert_eq!(Some(report.params_schema.clone()), params_schema(report.id));
    }
    assert_eq!(params_schema("patients"), None);
}

#[test]
fn each_schema_accepts_what_the_report_accepts_and_refuses_what_it_refuses() {
    let good = params("2026-01-01", "2026-04-01");
    let unknown_field = r#"{"period": {"start": "2026-01-01", "end": "2026-04-01"}, "lab": "x"}"#;
    let bad_date = r#"{"period": {"start": "01/01/2026", "end": "2026-04-01"}}"#;
    let missing = r#"{}"#;
    for report in catalogue() {
        let schema: serde_json::Value = serde_json::from_str(&report.params_schema).unwrap();
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        let validator = jsonschema::draft202012::new(&schema).expect("a valid schema");
        let valid = |json: &str| validator.is_valid(&serde_json::from_str(json).unwrap());
        assert!(valid(&good), "{}", report.id);
        for bad in [unknown_field, bad_date, missing] {
            assert!(!valid(bad), "{} schema accepts {bad}", report.id);
            let refused = render(report.id, bad, Format::Csv, &Memory::default(), &ctx());
            assert!(matches!(refused, Err(ReportError::InvalidParams(_))), "{} accepts {bad}", report.id);
        }
    }
}

#[test]
fn an_unknown_report_or_a_backwards_period_is_refused_before_any_read() {
    let source = Memory::default();
    let unknown = render("patients", &params("2026-01-01", "2026-04-01"), Format::Pdf, &source, &ctx());
    assert!(matches!(unknown, Err(ReportError::UnknownReport(id)) if id == "patients"));
    let backwards = render("revenue", &params("2026-04-01", "2026-01-01"), Format::Csv, &source, &ctx());
    assert!(matches!(backwards, Err(ReportError::InvalidParams(m)) if m.contains("after period.start")));
    assert!(source.queries.borrow().is_empty());
}

#[test]
fn a_platform_failure_is_passed_on_and_says_whether_to_retry() {
    struct Down;
    impl ils_reports::Source for Down {
        fn aggregate(
            &self,
            _: &ils_reports::records::Query,
        ) -> Result<ils_reports::records::ResultSet, ils_reports::SourceError> {
            Err(ils_reports::SourceError::Unavailable("database restarting".into()))
        }
    }
    let err =
        render("quality", &params("2026-01-01", "2026-04-01"), Format::Html, &Down, &ctx()).unwrap_err();
    assert!(err.retryable(), "{err}");
    assert!(err.to_string().contains("database restarting"));
}
