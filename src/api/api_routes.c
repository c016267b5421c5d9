/* api_routes.c: every route, readable at a glance. The authorisation matrix
 * test reads this table (through `baton routes`) and tries each route as each
 * kind of principal. */
#include "api_int.h"

const struct api_route api_routes[] = {
	/* method  path                                         handler              auth          role */
	{"GET",    "/api/v1/health",                            api_health,          AUTH_PUBLIC,  0, 0},
	{"GET",    "/api/v1/openapi.json",                      api_openapi,         AUTH_PUBLIC,  0, 0},
	{"POST",   "/api/v1/auth/login",                        api_auth_login,      AUTH_PUBLIC,  0, 0},
	{"POST",   "/api/v1/auth/logout",                       api_auth_logout,     AUTH_MEMBER,  ROLE_VIEWER, 0},
	{"POST",   "/api/v1/invites/accept",                    api_invites_accept,  AUTH_PUBLIC,  0, 0},
	{"GET",    "/api/v1/me",                                api_auth_me,         AUTH_MEMBER,  ROLE_VIEWER, 0},
	{"GET",    "/api/v1/members",                           api_members_list,    AUTH_MEMBER,  ROLE_VIEWER, 0},
	{"POST",   "/api/v1/members/invite",                    api_members_invite,  AUTH_MEMBER,  ROLE_ADMIN, 0},
	{"PATCH",  "/api/v1/members/:id",                       api_members_update,  AUTH_MEMBER,  ROLE_ADMIN, 0},
	{"DELETE", "/api/v1/members/:id",                       api_members_remove,  AUTH_MEMBER,  ROLE_ADMIN, 0},
	{"GET",    "/api/v1/tokens",                            api_tokens_list,     AUTH_MEMBER,  ROLE_ADMIN, 0},
	{"POST",   "/api/v1/tokens",                            api_tokens_create,   AUTH_MEMBER,  ROLE_ADMIN, 0},
	{"DELETE", "/api/v1/tokens/:id",                        api_tokens_revoke,   AUTH_MEMBER,  ROLE_ADMIN, 0},
	{"GET",    "/api/v1/settings",                          api_settings_get,    AUTH_MEMBER,  ROLE_VIEWER, 0},
	{"PATCH",  "/api/v1/settings",                          api_settings_update, AUTH_MEMBER,  ROLE_ADMIN, 0},
	{"GET",    "/api/v1/conversations",                     api_conv_list,       AUTH_MEMBER,  ROLE_VIEWER, 0},
	{"GET",    "/api/v1/search",                            api_search,          AUTH_MEMBER,  ROLE_VIEWER, 0},
	{"POST",   "/api/v1/conversations",                     api_conv_create,     AUTH_MEMBER,  ROLE_AGENT, 0},
	{"GET",    "/api/v1/conversations/:id",                 api_conv_get,        AUTH_MEMBER,  ROLE_VIEWER, 0},
	{"GET",    "/api/v1/conversations/:id/messages",        api_conv_messages,   AUTH_MEMBER,  ROLE_VIEWER, 0},
	{"POST",   "/api/v1/conversations/:id/messages",        api_conv_post,       AUTH_MEMBER,  ROLE_AGENT, 0},
	{"GET",    "/api/v1/conversations/:id/timeline",        api_conv_timeline,   AUTH_MEMBER,  ROLE_VIEWER, 0},
	{"POST",   "/api/v1/conversations/:id/claim",           api_conv_claim,      AUTH_MEMBER,  ROLE_AGENT, 0},
	{"POST",   "/api/v1/conversations/:id/assign",          api_conv_assign,     AUTH_MEMBER,  ROLE_AGENT, 0},
	{"POST",   "/api/v1/conversations/:id/status",          api_conv_status,     AUTH_MEMBER,  ROLE_AGENT, 0},
	{"POST",   "/api/v1/conversations/:id/handback",        api_conv_handback,   AUTH_MEMBER,  ROLE_AGENT, 0},
	{"GET",    "/api/v1/events",                            api_events,          AUTH_MEMBER,  ROLE_VIEWER, 0},
	{"GET",    "/api/v1/audit",                             api_audit_list,      AUTH_MEMBER,  ROLE_ADMIN, 0},
	{"GET",    "/api/v1/audit/verify",                      api_audit_verify,    AUTH_MEMBER,  ROLE_ADMIN, 0},
	{"GET",    "/widget/v1/config",                         api_widget_config,   AUTH_PUBLIC,  0, 0},
	{"POST",   "/widget/v1/conversations",                  api_widget_start,    AUTH_WIDGET,  0, 0},
	{"GET",    "/widget/v1/conversations/:id/messages",     api_widget_messages, AUTH_VISITOR, 0, 0},
	{"POST",   "/widget/v1/conversations/:id/messages",     api_widget_post,     AUTH_VISITOR, 0, 0},
	{"GET",    "/widget/v1/conversations/:id/events",       api_widget_events,   AUTH_VISITOR, 0, 0},
	{NULL, NULL, NULL, 0, 0, 0},
};
