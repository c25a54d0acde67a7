//! A lab's practice accounts: which practices may send it orders, and opening one.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::form::CsrfForm;
use super::page::refused;
use super::page::{Chrome, FieldErrors, PageResult, render};
use super::session::Viewer;
use crate::http::accounts::{AccountInput, list_customers, open_account};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use ils_kernel::page::PageQuery;
use ils_orders::accounts::LabAccount;

#[derive(Template)]
#[template(path = "console/customers.html")]
struct Customers {
    chrome: Chrome,
    accounts: Vec<LabAccount>,
    form: AccountForm,
    errors: FieldErrors,
}

/// The account form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AccountForm {
    #[serde(default)]
    practice: String,
    #[serde(default)]
    account_number: String,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    form: AccountForm,
) -> Result<Customers, super::ConsoleError> {
    let query = PageQuery { cursor: None, limit: Some(200) };
    let accounts =
        list_customers(State(state.clone()), viewer.principal.clone(), ApiQuery(query)).await?.0.items;
    Ok(Customers { chrome: viewer.chrome.at("/customers"), accounts, form, errors: FieldErrors::default() })
}

/// `GET /customers`.
pub(crate) async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    Ok(render(&page(&state, &viewer, AccountForm::default()).await?))
}

/// `POST /customers`: opens an account for a practice.
pub(crate) async fn open(
    State(state): State<AppState>,
    viewer: Viewer,
    CsrfForm(form): CsrfForm<AccountForm>,
) -> PageResult {
    let input = AccountInput {
        practice: form.practice.trim().to_owned(),
        account_number: form.account_number.trim().to_owned(),
    };
    match open_account(State(state.clone()), viewer.principal.clone(), ApiJson(input)).await {
        Ok(_) => Ok(Redirect::to("/customers").into_response()),
        Err(error) => {
            let shown = page(&state, &viewer, form).await?;
            refused(error, |errors| Customers { errors, ..shown })
        }
    }
}
