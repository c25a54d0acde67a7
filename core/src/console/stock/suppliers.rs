//! Suppliers: the tenant's accounts, adding a supplier the shared directory lacks (and opening an
//! account with it in the same step), and opening an account with one already in the directory.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{Placing, chosen, every, refused, whole};
use crate::console::form::CsrfForm;
use crate::console::page::given;
use crate::console::page::{Chrome, ConsoleError, FieldErrors, PageResult, render};
use crate::console::session::Viewer;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::stock::suppliers::{
    AccountInput, SupplierInput, SupplierQuery, add_supplier, list_accounts, list_suppliers,
    open_account as api_open_account,
};
use crate::state::AppState;
use ils_kernel::error::Error;
use ils_kernel::permissions::Action;
use ils_stock::suppliers::{Supplier, SupplierAccount};

/// How many directory entries the page offers at once (narrow them by name).
const DIRECTORY_SHOWN: u32 = 50;

#[derive(Template)]
#[template(path = "console/stock_suppliers.html")]
struct Suppliers {
    chrome: Chrome,
    accounts: Vec<SupplierAccount>,
    /// Directory entries matching `q` that the tenant has no account with.
    directory: Vec<Supplier>,
    q: String,
    can_manage: bool,
    new: NewSupplierForm,
    existing: AccountForm,
    /// A supplier added to the directory whose account could not be opened.
    added: Option<String>,
    errors: FieldErrors,
}

/// The new-supplier form's fields, as typed.
#[derive(Debug, Deserialize)]
pub(crate) struct NewSupplierForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    account_number: String,
    #[serde(default)]
    payment_terms_days: String,
}

impl Default for NewSupplierForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            email: String::new(),
            phone: String::new(),
            website: String::new(),
            account_number: String::new(),
            payment_terms_days: "30".to_owned(),
        }
    }
}

/// The form that opens an account with a directory supplier; its inputs are prefixed so that
/// they differ from the new-supplier form's on the same page.
#[derive(Debug, Deserialize)]
pub(crate) struct AccountForm {
    #[serde(default)]
    directory_supplier_id: String,
    #[serde(default)]
    directory_account_number: String,
    #[serde(default)]
    directory_payment_terms_days: String,
}

impl Default for AccountForm {
    fn default() -> Self {
        Self {
            directory_supplier_id: String::new(),
            directory_account_number: String::new(),
            directory_payment_terms_days: "30".to_owned(),
        }
    }
}

/// Days allowed for payment, as typed.
fn days(field: &str, value: &str) -> Result<i32, Error> {
    let days = whole(field, value, "30")?;
    i32::try_from(days).map_err(|_| Error::invalid_field(field, "must be between 0 and 365"))
}

/// The directory search.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Search {
    #[serde(default)]
    q: String,
}

async fn suppliers_page(
    state: &AppState,
    viewer: &Viewer,
    q: String,
    new: NewSupplierForm,
    existing: AccountForm,
) -> Result<Suppliers, ConsoleError> {
    let accounts =
        every(|page| list_accounts(State(state.clone()), viewer.principal.clone(), ApiQuery(page))).await?;
    let can_manage = viewer.principal.may(Action::PurchasingManage);
    let directory = if can_manage {
        let query = SupplierQuery { name: given(&q), cursor: None, limit: Some(DIRECTORY_SHOWN) };
        let found = list_suppliers(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0;
        found.items.into_iter().filter(|s| !accounts.iter().any(|a| a.supplier.id == s.id)).collect()
    } else {
        Vec::new()
    };
    Ok(Suppliers {
        chrome: viewer.chrome.at("/stock"),
        accounts,
        directory,
        q,
        can_manage,
        new,
        existing,
        added: None,
        errors: FieldErrors::default(),
    })
}

/// `GET /stock/suppliers?q=`: the tenant's supplier accounts, and the forms that add one.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(search): Query<Search>,
) -> PageResult {
    let page =
        suppliers_page(&state, &viewer, search.q, NewSupplierForm::default(), AccountForm::default()).await?;
    Ok(render(&page))
}

/// `POST /stock/suppliers`: adds a supplier to the directory and opens the tenant's account with
/// it. A name the directory has already is shown at the name, with the directory narrowed to it.
pub(crate) async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<NewSupplierForm>,
) -> PageResult {
    let principal = viewer.principal.clone();
    let outcome = match days("payment_terms_days", &form.payment_terms_days) {
        Ok(days) => {
            let input = SupplierInput {
                name: form.name.clone(),
                email: given(&form.email),
                phone: given(&form.phone),
                website: given(&form.website),
            };
            add_supplier(State(state.clone()), principal.clone(), ApiJson(input)).await.map(|s| (s.1.0, days))
        }
        Err(error) => Err(error.into()),
    };
    let (supplier, days) = match outcome {
        Ok(added) => added,
        Err(error) => {
            let shown =
                suppliers_page(&state, &viewer, form.name.clone(), form, AccountForm::default()).await?;
            let placing = Placing { conflicts: &[("supplier_exists", "name")], ..Placing::default() };
            return refused(error, placing, |errors| Suppliers { errors, ..shown });
        }
    };
    let account = AccountInput {
        supplier_id: supplier.id,
        account_number: given(&form.account_number),
        payment_terms_days: days,
        notes: None,
    };
    match api_open_account(State(state.clone()), principal, ApiJson(account)).await {
        Ok(_) => Ok(Redirect::to("/stock/suppliers").into_response()),
        Err(error) => {
            // The supplier is in the directory now: adding it again would be refused, so its
            // account's terms move to the form that opens an account with a directory supplier.
            let existing = AccountForm {
                directory_supplier_id: supplier.id.to_string(),
                directory_account_number: form.account_number,
                directory_payment_terms_days: form.payment_terms_days,
            };
            let q = supplier.name.clone();
            let shown = suppliers_page(&state, &viewer, q, NewSupplierForm::default(), existing).await?;
            let placing = Placing { rename: Some(&to_directory_form), ..Placing::default() };
            refused(error, placing, |errors| Suppliers { errors, added: Some(supplier.name), ..shown })
        }
    }
}

/// The directory form's input for an API field of an account.
fn to_directory_form(api: &str) -> Option<String> {
    match api {
        "supplier_id" | "account_number" | "payment_terms_days" => Some(format!("directory_{api}")),
        _ => None,
    }
}

/// `POST /stock/suppliers/accounts`: opens an account with a supplier of the directory.
pub(crate) async fn open_account(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<AccountForm>,
) -> PageResult {
    let input = || -> Result<AccountInput, Error> {
        Ok(AccountInput {
            supplier_id: chosen("directory_supplier_id", &form.directory_supplier_id)?,
            account_number: given(&form.directory_account_number),
            payment_terms_days: days("directory_payment_terms_days", &form.directory_payment_terms_days)?,
            notes: None,
        })
    };
    let outcome = match input() {
        Ok(input) => api_open_account(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await,
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to("/stock/suppliers").into_response()),
        Err(error) => {
            let shown =
                suppliers_page(&state, &viewer, String::new(), NewSupplierForm::default(), form).await?;
            let placing = Placing {
                rename: Some(&to_directory_form),
                conflicts: &[("supplier_account_exists", "directory_supplier_id")],
            };
            refused(error, placing, |errors| Suppliers { errors, ..shown })
        }
    }
}
