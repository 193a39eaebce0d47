import streamlit as st

st.title("service_index")
