/// `/assets/style.css`: the applicant page, and the dashboard's own parts (the charts and tables
/// come with `/assets/report.css`, the statistics report's style sheet). Colours keep at least
/// 4.5:1 contrast on their backgrounds; focus is always visible; one column below 600 px.
let styleSheet = #"""
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body.applicant{margin:0;background:#f3f4f6;color:#1f2328;font:16px/1.6 system-ui,-apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",Arial,sans-serif}
.skip{position:absolute;left:8px;top:-48px;padding:8px 12px;background:#fff;color:#0b5394;border:2px solid #0b5394;border-radius:4px;z-index:2}
.skip:focus{top:8px}
:focus-visible{outline:3px solid #0b5394;outline-offset:2px}
a{color:#0b5394}
.top{display:flex;justify-content:space-between;align-items:center;max-width:640px;margin:0 auto;padding:12px 16px}
.brand{margin:0;font-weight:700;letter-spacing:.04em}
body.applicant main{max-width:640px;margin:0 auto 24px;padding:28px 32px;background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(31,35,40,.08)}
h1{font-size:26px;line-height:1.3;margin:0 0 8px}
.lede{color:#4b535d;margin:0 0 20px}
.tabs{display:flex;gap:8px;margin:0 0 16px;border-bottom:1px solid #d0d7de}
.tabs [role=tab]{appearance:none;border:0;border-bottom:3px solid transparent;background:none;padding:10px 14px;font:inherit;font-weight:600;color:#4b535d;cursor:pointer;min-height:44px}
.tabs [role=tab][aria-selected=true]{color:#0b5394;border-bottom-color:#0b5394}
fieldset{border:1px solid #d0d7de;border-radius:8px;margin:0 0 16px;padding:12px 16px 0}
legend{font-weight:600;padding:0 4px}
.field{margin:0 0 16px}
label{display:block;font-weight:600;margin:0 0 4px}
.optional{font-weight:400;color:#4b535d}
input[type=text],input[type=password],input[type=date],select,textarea{width:100%;font:inherit;font-size:16px;padding:10px 12px;border:1px solid #6e7781;border-radius:6px;background:#fff;color:#1f2328;min-height:44px}
input[aria-invalid=true]{border-color:#b3261e;box-shadow:0 0 0 1px #b3261e}
.hint{margin:4px 0 0;font-size:14px;color:#4b535d}
.field-error{margin:4px 0 0;font-size:14px;color:#b3261e;font-weight:600}
.field-error:empty{display:none}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:10px 20px;min-height:44px;border-radius:6px;border:1px solid #0b5394;background:#0b5394;color:#fff;cursor:pointer;text-decoration:none}
button:hover,.button:hover{background:#083d6e}
button.secondary{background:#fff;color:#0b5394}
button.secondary:hover{background:#eef4fb}
button:disabled{opacity:.6;cursor:progress}
.result{margin-top:24px}
.result:focus{outline:none}
.panel{border-radius:8px;padding:16px 20px;border:1px solid #d0d7de}
.panel h2{margin:0 0 8px;font-size:20px}
.panel.approved{border-color:#1a7f37;background:#f0faf2}
.panel.rejected{border-color:#b3261e;background:#fdf2f1}
.panel.pending{border-color:#9a6700;background:#fff8e5}
.token{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;word-break:break-all;resize:vertical}
.actions{display:flex;flex-wrap:wrap;align-items:center;gap:12px}
.copied{color:#1a7f37;font-weight:600}
.muted{color:#4b535d}
.problem{padding:10px 14px;border-left:4px solid #b3261e;background:#fdf2f1;border-radius:4px}
.foot{max-width:640px;margin:0 auto 32px;padding:0 16px;font-size:14px;color:#4b535d}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
body.auditor main.sign-in-page{max-width:560px}
body.auditor .en{display:block;font-size:.9em;color:#4b535d;font-weight:400}
body.auditor h1{margin-bottom:12px}
.signin{margin-top:20px}
.signin button{margin-top:12px}
.bar{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:12px;padding-bottom:16px;border-bottom:1px solid #e1e4e8}
.bar p{margin:0;font-weight:600}
.controls{margin-top:20px}
.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px 16px;align-items:end}
.filters label{font-size:13px}
.filters label span[lang=en]{font-weight:400;color:#4b535d}
.downloads{display:flex;flex-wrap:wrap;align-items:center;gap:10px;margin:20px 0 0}
.downloads span[lang=en]{display:inline}
.chain{margin-top:28px}
.chain dl{display:flex;flex-wrap:wrap;gap:8px 32px;margin:8px 0 12px}
.chain dt{font-size:13px;color:#4b535d}
.chain dt span[lang=en]{display:inline}
.chain dd{margin:0;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:600}
.bad{color:#b3261e;font-weight:600}
.report{margin-top:40px;padding-top:8px;border-top:1px solid #e1e4e8}
@media (max-width:600px){
body.applicant main{margin:0;border-radius:0;padding:20px 16px;box-shadow:none}
h1{font-size:22px}
.tabs [role=tab]{flex:1}
button[type=submit]{width:100%}
.filters{grid-template-columns:1fr}
}
"""#
