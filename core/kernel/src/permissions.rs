//! The permission matrix: which tenant role may do what. One table, read by every handler
//! through [`Role::allows`]; API keys carry a subset of the same actions as scopes.

use ils_storage::text_enum;

text_enum! {
    /// A user's role within one tenant.
    pub enum Role {
        /// Eye-care practitioner (optometrist).
        Ecp = "ecp",
        /// Dispensing optician or dispensing assistant.
        Dispenser = "dispenser",
        /// Laboratory technician.
        LabTech = "lab_tech",
        /// Laboratory engineer (equipment, production).
        Engineer = "engineer",
        /// A supplier's staff.
        Supplier = "supplier",
        /// Administers the tenant: users, settings, audit.
        CompanyAdmin = "company_admin",
    }
}

text_enum! {
    /// Something a caller may be allowed to do within a tenant.
    pub enum Action {
        /// See the tenant's own details.
        TenantRead = "tenant:read",
        /// List the tenant's users and their roles.
        UsersRead = "users:read",
        /// Approve, reject, change the role of and remove users.
        UsersManage = "users:manage",
        /// Read the tenant's audit log.
        AuditRead = "audit:read",
        /// Create, list and revoke the tenant's API keys.
        ApiKeysManage = "api_keys:manage",
        /// Manage the tenant's webhook endpoints and read their delivery logs.
        WebhooksManage = "webhooks:manage",
        /// Find and read patients' records (every read is audited).
        PatientsRead = "patients:read",
        /// Register patients and change their records.
        PatientsWrite = "patients:write",
        /// Record and finalise eye examinations (a clinical act: optometrists).
        ExaminationsWrite = "examinations:write",
        /// See lab orders, their timelines and the production queue.
        OrdersRead = "orders:read",
        /// Place lab orders (practice staff), including remakes, returns and non-adapts.
        OrdersCreate = "orders:create",
        /// Move lab orders through their lifecycle; which moves, the order's state machine
        /// decides by role (practice or lab side).
        OrdersTransition = "orders:transition",
        /// Open and close accounts for the practices that send this lab orders.
        LabAccountsManage = "lab_accounts:manage",
        /// Change the tenant's settings (e.g. the power steps prescriptions are recorded in).
        SettingsManage = "settings:manage",
        /// See the catalogue, locations, suppliers, stock levels and movements, purchase orders
        /// and stock counts.
        StockRead = "stock:read",
        /// Move stock: adjustments, transfers, receiving goods, counting.
        StockWrite = "stock:write",
        /// Run purchasing: suppliers and accounts, the item catalogue, locations, purchase orders.
        PurchasingManage = "purchasing:manage",
        /// Finalise a stock count although stock moved while it was counted.
        StockOverride = "stock:override",
        /// See and acknowledge the purchase orders customers send (a supplier on ILS).
        ReceivedOrdersManage = "received_orders:manage",
        /// See the practice's diary: appointments, with the patients' names (audited).
        DiaryRead = "diary:read",
        /// Book appointments, move them through the day and cancel them.
        DiaryBook = "diary:book",
        /// See the till's sales and payments (a patient's are audited as a read of their record).
        SalesRead = "sales:read",
        /// Make sales, take payments (deposits, balances, NHS vouchers) and complete sales.
        SalesWrite = "sales:write",
        /// Refund a completed sale with a credit note (money back: company admins).
        SalesRefund = "sales:refund",
        /// The till's end-of-day report: takings by method, VAT, cash to bank.
        TillReport = "till:report",
        /// Enable, configure and disable plugins, set their secrets, reset their breakers
        /// (consenting to the capabilities a plugin asks for).
        PluginsManage = "plugins:manage",
        /// Use the routes of the tenant's enabled plugins (the plugin sees who calls and with
        /// which role, and decides what each role may do).
        PluginsUse = "plugins:use",
        /// Download one of the tenant's files by its id (the link a report or an e-mail gives).
        FilesRead = "files:read",
        /// List every file of the tenant, whichever plugin (or user) stored it.
        FilesList = "files:list",
        /// Register and remove the devices an on-site bridge connects.
        DevicesManage = "devices:manage",
        /// Connect an on-site bridge (`ils bridge`): the scope its API key is given, and nothing
        /// else.
        DevicesConnect = "devices:connect",
    }
}

impl Role {
    /// The role in words, for messages people read: "lab technician", not `lab_tech`.
    pub const fn in_words(self) -> &'static str {
        match self {
            Role::Ecp => "eye-care practitioner",
            Role::Dispenser => "dispenser",
            Role::LabTech => "lab technician",
            Role::Engineer => "lab engineer",
            Role::Supplier => "supplier",
            Role::CompanyAdmin => "company admin",
        }
    }

    /// Whether this role may perform `action`. The whole matrix is here.
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::CompanyAdmin => true,
            // Practice staff work with patients; lab and supplier staff never see their records.
            // Optometrists also examine; dispensers do not. Dispensers work the till (sales,
            // payments); refunds and the day's takings stay with company admins.
            // Stock: practice and lab staff see it; dispensers (frames, contact lenses) and lab
            // staff (blanks, consumables) move it. Raising purchase orders, keeping the catalogue
            // and overriding a count stay with company admins (docs/adr/009). Lab staff see and
            // move orders (with the prescription they are made to), never the patient's record.
            Role::Ecp => matches!(
                action,
                TenantRead
                    | DiaryRead
                    | DiaryBook
                    | UsersRead
                    | PluginsUse
                    | FilesRead
                    | PatientsRead
                    | PatientsWrite
                    | ExaminationsWrite
                    | OrdersRead
                    | OrdersCreate
                    | OrdersTransition
                    | StockRead
            ),
            Role::Dispenser => matches!(
                action,
                TenantRead
                    | DiaryRead
                    | DiaryBook
                    | UsersRead
                    | PluginsUse
                    | FilesRead
                    | PatientsRead
                    | PatientsWrite
                    | OrdersRead
                    | OrdersCreate
                    | OrdersTransition
                    | StockRead
                    | StockWrite
                    | SalesRead
                    | SalesWrite
            ),
            Role::LabTech | Role::Engineer => {
                matches!(
                    action,
                    TenantRead
                        | UsersRead
                        | PluginsUse
                        | FilesRead
                        | OrdersRead
                        | OrdersTransition
                        | StockRead
                        | StockWrite
                )
            }
            // Supplier staff handle the orders customers send; nothing of a practice or a lab.
            Role::Supplier => {
                matches!(action, TenantRead | UsersRead | PluginsUse | FilesRead | ReceivedOrdersManage)
            }
        }
    }
}

impl Action {
    /// What the action does, in words that follow "may not": "read the audit log", not
    /// `audit:read` (the scope's name, which API keys are given, stays [`Action::as_str`]).
    pub const fn in_words(self) -> &'static str {
        match self {
            Action::TenantRead => "see this workplace's details",
            Action::UsersRead => "see its users",
            Action::UsersManage => "manage its users",
            Action::AuditRead => "read the audit log",
            Action::ApiKeysManage => "manage API keys",
            Action::WebhooksManage => "manage webhooks",
            Action::PatientsRead => "read patients' records",
            Action::PatientsWrite => "register patients or change their records",
            Action::ExaminationsWrite => "record eye examinations",
            Action::OrdersRead => "see lab orders",
            Action::OrdersCreate => "place lab orders",
            Action::OrdersTransition => "move lab orders on",
            Action::LabAccountsManage => "open or close practices' lab accounts",
            Action::SettingsManage => "change settings",
            Action::StockRead => "see stock",
            Action::StockWrite => "move stock",
            Action::PurchasingManage => "manage purchasing (suppliers, the catalogue, purchase orders)",
            Action::StockOverride => "finalise a stock count that stock moved during",
            Action::ReceivedOrdersManage => "handle the purchase orders customers send",
            Action::DiaryRead => "see the diary",
            Action::DiaryBook => "book appointments",
            Action::SalesRead => "see the till's sales",
            Action::SalesWrite => "make sales and take payments",
            Action::SalesRefund => "refund sales",
            Action::TillReport => "see the till's end-of-day report",
            Action::PluginsManage => "manage plugins",
            Action::PluginsUse => "use plugins",
            Action::FilesRead => "download files",
            Action::FilesList => "list every file",
            Action::DevicesManage => "register devices",
            Action::DevicesConnect => "connect a device bridge",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_company_admins_manage_users_audit_and_keys() {
        for role in Role::ALL {
            let admin = *role == Role::CompanyAdmin;
            assert!(role.allows(Action::TenantRead));
            assert!(role.allows(Action::UsersRead));
            assert_eq!(role.allows(Action::UsersManage), admin, "{role}");
            assert_eq!(role.allows(Action::AuditRead), admin, "{role}");
            assert_eq!(role.allows(Action::ApiKeysManage), admin, "{role}");
            assert_eq!(role.allows(Action::WebhooksManage), admin, "{role}");
            assert_eq!(role.allows(Action::LabAccountsManage), admin, "{role}");
            assert_eq!(role.allows(Action::SettingsManage), admin, "{role}");
            assert_eq!(role.allows(Action::PluginsManage), admin, "{role}");
            assert!(role.allows(Action::PluginsUse), "{role}");
            assert!(role.allows(Action::FilesRead), "{role}: any member downloads the files it is sent");
            assert_eq!(role.allows(Action::FilesList), admin, "{role}");
            let practice = matches!(role, Role::CompanyAdmin | Role::Ecp | Role::Dispenser);
            assert_eq!(role.allows(Action::PatientsRead), practice, "{role}");
            assert_eq!(role.allows(Action::PatientsWrite), practice, "{role}");
            let clinician = matches!(role, Role::CompanyAdmin | Role::Ecp);
            assert_eq!(role.allows(Action::ExaminationsWrite), clinician, "{role}");
            let orders = *role != Role::Supplier;
            assert_eq!(role.allows(Action::OrdersRead), orders, "{role}");
            assert_eq!(role.allows(Action::OrdersTransition), orders, "{role}");
            assert_eq!(role.allows(Action::OrdersCreate), practice, "{role}");
            let staff = !matches!(role, Role::Supplier);
            assert_eq!(role.allows(Action::StockRead), staff, "{role}");
            let movers =
                matches!(role, Role::CompanyAdmin | Role::Dispenser | Role::LabTech | Role::Engineer);
            assert_eq!(role.allows(Action::StockWrite), movers, "{role}");
            assert_eq!(role.allows(Action::PurchasingManage), admin, "{role}");
            assert_eq!(role.allows(Action::StockOverride), admin, "{role}");
            let supplier = matches!(role, Role::CompanyAdmin | Role::Supplier);
            assert_eq!(role.allows(Action::ReceivedOrdersManage), supplier, "{role}");
            assert_eq!(role.allows(Action::DiaryRead), practice, "{role}");
            assert_eq!(role.allows(Action::DiaryBook), practice, "{role}");
            // The till: dispensers sell and take payments; refunds and the day's takings are money.
            let till = matches!(role, Role::CompanyAdmin | Role::Dispenser);
            assert_eq!(role.allows(Action::SalesRead), till, "{role}");
            assert_eq!(role.allows(Action::SalesWrite), till, "{role}");
            assert_eq!(role.allows(Action::SalesRefund), admin, "{role}");
            assert_eq!(role.allows(Action::TillReport), admin, "{role}");
        }
    }
}
